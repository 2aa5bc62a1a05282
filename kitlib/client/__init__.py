"""The kit's small client layer, shared by the scheduler and the controller framework the
way client-go serves both kube-scheduler and the controllers in kube-controller-manager.

    rest.py        Rest: JSON requests through the official ApiClient (the pods/binding
                   subresource, events.k8s.io Events, ...), ApiError, WatchStream
    informer.py    Informer + Store: list, watch from a resourceVersion, relist on 410 Gone
                   with add/update/delete events for what changed, handlers, clean stop
    workqueue.py   WorkQueue: deduplicated keys, one worker per key, delayed and
                   rate-limited re-adds (client-go's rate-limited workqueue)
    ratelimit.py   ExponentialBackoff (per item) and TokenBucket (qps/burst)
    events.py      EventRecorder: events.k8s.io/v1 Events from a background thread
"""
import logging

from kitlib.client.events import EventRecorder
from kitlib.client.informer import ADDED, DELETED, MODIFIED, Informer, Store, key_of
from kitlib.client.ratelimit import ExponentialBackoff, TokenBucket
from kitlib.client.rest import ApiError, Rest, WatchStream, collection_path
from kitlib.client.workqueue import WorkQueue

logging.getLogger("kitlib.client").addHandler(logging.NullHandler())   # quiet in notebooks

__all__ = ["EventRecorder", "ADDED", "DELETED", "MODIFIED", "Informer", "Store", "key_of",
           "ExponentialBackoff", "TokenBucket", "ApiError", "Rest", "WatchStream",
           "collection_path", "WorkQueue"]
