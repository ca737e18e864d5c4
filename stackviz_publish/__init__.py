"""stackviz-publish: export, publish and view Stackviz data for CI jobs."""
