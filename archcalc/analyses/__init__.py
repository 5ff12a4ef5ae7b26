"""Figures derived from a Report or a Graph: memory (inference peak, backward), the drop-path expectation,
roofline bounds and device peaks, comparison rows, published accuracy, bench files, receptive-field views."""
