"""Outputs built from a run's journal alone: HTML report, JUnit XML, Markdown summary, an index
of all runs in a reports directory, and publishing that directory to a folder or S3.

File naming contract (``chaosrun run --reports-dir`` and ``chaosrun report index`` share it): a
run's journal is ``<run_id>.json`` and its HTML report ``<run_id>.html`` in the same directory;
see :func:`chaosrun.report.common.report_filename`.
"""
