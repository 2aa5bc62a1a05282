"""``python -m kitlib.grading.worker JOB.json``: grade one submission in this process."""
import sys

# nbformat validates with jsonschema, which imports rfc3987-syntax when it is installed
# (Jupyter's own packages pull it in); that module builds a parser as it is imported,
# 1.2 s of CPU in every worker. Notebook schemas use no IRI format: go without it.
sys.modules.setdefault("rfc3987_syntax", None)

from kitlib.grading.autograde import run_job_file  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_job_file(sys.argv[1]))
