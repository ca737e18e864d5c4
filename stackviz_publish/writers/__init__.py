"""Writers: the data files of a run (classic JSON, stats, details shards, script
twins), gzip, and the atomic output folder. They know the model's dicts, nothing of
the readers."""
