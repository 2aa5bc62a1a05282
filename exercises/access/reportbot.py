"""The workload of chapter 09's exercise, as the learner reads it and the checks use it.

report-bot runs in one namespace and writes a daily report about it. It must
- get, list and watch the namespace's pods, and read their logs;
- read the ConfigMap ``report-settings`` (that one only);
- create Events (core API group) to say it has run.
It must not read Secrets, change or delete anything, exec into pods, read other ConfigMaps,
grant itself more, or touch any other namespace.
"""
SERVICE_ACCOUNT = "report-bot"
SETTINGS = "report-settings"         # the one ConfigMap it may read
OTHER_CONFIG = "app-config"          # a ConfigMap it may not
SECRET = "db-password"               # a Secret it may not

# Questions as in ``kitlib.access.review.Ask``; "-n other" is a second namespace.
MUST_ALLOW = ["get pods", "list pods", "watch pods", "get pods/log",
              f"get configmaps {SETTINGS}", "create events"]
MUST_DENY = ["get secrets", "delete pods", "list configmaps", "list pods -n other"]
