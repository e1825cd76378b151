"""Who is asking: passwords, principals, API tokens, the sign-in throttle and the first administrator."""
