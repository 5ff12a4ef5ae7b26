"""The analytic core: IR, shapes, receptive fields, the rule table, the engine and its report.

No I/O and no torch; imports only errors and conventions from outside.
"""
