-- The social example's schema: users write posts, users like posts.
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    handle     TEXT NOT NULL UNIQUE CHECK (length(handle) BETWEEN 2 AND 30),
    name       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE posts (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    body       TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 500),
    likes      INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX posts_by_user ON posts(user_id, id);

-- One like per user and post: the primary key makes a second one a no-op.
CREATE TABLE likes (
    post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;
