"""Readers: turn input files (subunit streams, repositories, dstat logs) into events.

Imports go one way: readers know nothing of the model or the writers.
"""
from stackviz_publish.readers.errors import ReadError  # noqa: F401
from stackviz_publish.readers.stream import looks_like_subunit  # noqa: F401
from stackviz_publish.readers.stream import open_input  # noqa: F401
from stackviz_publish.readers.stream import read_events  # noqa: F401
