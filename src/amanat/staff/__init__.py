"""Staff accounts: enrolment by a single-use link, mandatory MFA, roles from the policy."""
