"""Who may do what (chapter 09): identities, what they may do, and what pods may be.

* ``tokens``       ServiceAccounts, short-lived tokens (TokenRequest), their claims, an
                   ApiClient that authenticates with one
* ``review``       asking the authorizer: SubjectAccessReview, SelfSubjectAccessReview,
                   ``kubectl auth can-i``, an access matrix
* ``roles``        Role / ClusterRole / binding manifests, the built-in aggregated roles
* ``podsecurity``  Pod Security Admission: namespace labels, pods it rejects or warns about
* ``heatmap``      the access matrix as a picture
"""
