"""A local mirror of PubMed and the NIH Open Citation Collection: Parquet files plus a DuckDB catalogue.

``files`` turns one baseline or update file into Parquet (the task each Dask
worker runs), ``build`` maps it over the files and writes the catalogue,
``citations`` loads iCite's bulk files, ``rank`` computes whole-graph
figures, ``client`` answers fetch, search and related as E-utilities would,
and ``query`` reads the search syntax. DuckDB and Parquet are the mirror's
own store: nothing here touches a litbase SQLite database.

dask, distributed, duckdb and pyarrow come with ``pip install litbase[mirror]``;
nothing else of litbase imports this package at start-up.
"""
