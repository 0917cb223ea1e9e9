"""Layer 4, reports: the renderers (JSON, Markdown, HTML, terminal), their atomic files, and
merging the reports of several runs.
"""
