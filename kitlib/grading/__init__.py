"""The instructor tools: ``kit release`` (student notebooks), ``kit grade`` (run, score and
give feedback on submissions) and ``kit validate``. The checks that run inside the
notebooks, and print what these tools read, are ``kitlib.checks``."""
