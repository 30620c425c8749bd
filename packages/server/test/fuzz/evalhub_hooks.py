"""Schemathesis hooks for Eval Hub: what the OpenAPI document cannot say about valid data.

- `cursor` is opaque (format `evalhub-cursor`): valid ones are the hub's own encoding of a position,
  so positive cases use that encoding; anything else is refused with a 400, as documented.
"""

import base64

import schemathesis
from hypothesis import strategies as st

schemathesis.openapi.format(
    "evalhub-cursor",
    st.integers(min_value=0, max_value=10**9).map(
        lambda n: base64.urlsafe_b64encode(f"o:{n}".encode()).decode().rstrip("=")
    ),
)

