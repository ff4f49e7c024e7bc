-- Accounts for docs/auth.md: a password hash (PBKDF2, written only by the
-- signup route's hash-password, never answered by any route) and a role
-- named in appliance.conf's auth section. Users created before this
-- migration have no password (they cannot log in) and are members.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin'));
