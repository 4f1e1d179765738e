"""Getting in and staying safe: sign-up, sign-in, MFA, sessions, tokens, throttling."""
