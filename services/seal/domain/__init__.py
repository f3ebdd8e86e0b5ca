"""Pure domain core of the seal service: lifecycle, geometry, kernels, ping order, alert rules.

No I/O lives here. Times are UTC epoch seconds (``float``); positions are WGS84 degrees; distances
are metres. The gRPC and storage layers convert to and from these types.
"""
