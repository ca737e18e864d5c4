# Copyright stackviz-publish developers. Licensed under the Apache License 2.0.
import setuptools

setuptools.setup(setup_requires=['pbr>=5.8.0'], pbr=True)
