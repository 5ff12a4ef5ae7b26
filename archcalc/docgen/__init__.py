"""Documents kept fresh by the tool: embedded regions in Markdown/reST, and the reports/ folder.
The only library code that runs the command line; the command line uses these entry points only."""

from .embed import embed as embed_documents  # noqa: F401
from .reports import write_reports  # noqa: F401
