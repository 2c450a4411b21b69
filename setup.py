"""The one thing pyproject.toml does not say: the C extension of the register reader (register/transcode.py),
optional, so that the package installs all the same without a C compiler (the reader then decodes CP932 with
Python's codec)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("notices.register._cp932", ["jobs/notices/register/_cp932.c"], optional=True)])
