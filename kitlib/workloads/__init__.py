"""Chapter 08: configuration (ConfigMaps, Secrets, encryption at rest), the workload kinds
beside Deployments (Jobs, CronJobs, DaemonSets, StatefulSets) and a namespace's limits
(LimitRange, ResourceQuota)."""
