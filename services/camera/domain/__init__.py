"""Pure domain of the camera service: reads, plates, weights, passages, barrier decisions.

No I/O here: the gRPC layer and the storage adapters call these functions and classes.
"""
