"""``python -m kitlib.grading.worker JOB.json``: grade one submission in this process."""
import sys

from kitlib.grading.autograde import run_job_file

if __name__ == "__main__":
    sys.exit(run_job_file(sys.argv[1]))
