"""TOP request signing for the distribution APIs: the very same rule as every TOP call (platforms.md §1.2).

The 供销 and 代发 APIs are ordinary TOP methods on the same router, signed with the supplier app's secret, so
the Tmall connector's implementation is reused as is rather than copied: sorted `key + value` pairs, then
md5 (secret-wrapped), hmac (HMAC-MD5) or hmac-sha256, uppercase hex.
"""

from connectors.tmall.signing import SIGN_METHODS, SignMethod, sign, sign_string, verify

__all__ = ["SIGN_METHODS", "SignMethod", "sign", "sign_string", "verify"]
