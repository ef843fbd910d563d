//! What one run measures and how much: defaults as the issue asks, each changed by a `BENCH_*`
//! variable (a smaller run while developing, a larger one on a bigger machine).

use std::time::Duration;

use abetworks::testing::Backend;

pub struct Settings {
    /// `BENCH_BACKENDS`: `sqlite,postgres`.
    pub backends: Vec<Backend>,
    /// `BENCH_CONNECTIONS`: the connection counts of the gateway scenarios, `1,64,1000`.
    pub connections: Vec<usize>,
    /// `BENCH_REQUESTS_SINGLE`: requests of a gateway scenario on one connection (300).
    pub requests_single: usize,
    /// `BENCH_REQUESTS`: requests of a gateway scenario on more connections (6000).
    pub requests: usize,
    /// `BENCH_LICENSES`: the licenses the spread scenario calls over (1000).
    pub licenses: usize,
    /// `BENCH_LICENSE_LIMIT`: each of those licenses' limit; by default above the calls each
    /// gets, so none is refused. Lower, some end in 429 and the counters stop at the limit.
    pub license_limit: Option<i64>,
    /// `BENCH_AGENTS`: agents in the catalog, all published (500).
    pub agents: usize,
    /// `BENCH_USERS`: users in the database (10 000; at least one more than the licenses).
    pub users: usize,
    /// `BENCH_PAGE_CONNECTIONS`: the marketplace page's connection counts, `1,64`.
    pub page_connections: Vec<usize>,
    /// `BENCH_PAGE_REQUESTS`: marketplace pages per connection count (1000).
    pub page_requests: usize,
    /// `BENCH_LOGINS` sign-ins, `BENCH_LOGIN_CONCURRENCY` at once (200, 16).
    pub logins: usize,
    pub login_concurrency: usize,
    /// `BENCH_DEADLINE_SECS`: no request is sent after this (1800 s); what was cut is said.
    pub deadline: Duration,
}

fn number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {text:?}")),
        Err(_) => default,
    }
}

fn numbers(name: &str, default: &[usize]) -> Vec<usize> {
    match std::env::var(name) {
        Ok(text) => text
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n > 0)
                    .unwrap_or_else(|| panic!("{name} must list positive numbers, not {text:?}"))
            })
            .collect(),
        Err(_) => default.to_vec(),
    }
}

fn backends() -> Vec<Backend> {
    let text = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    text.split(',')
        .map(|name| match name.trim() {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => panic!("BENCH_BACKENDS lists sqlite and postgres, not {other:?}"),
        })
        .collect()
}

impl Settings {
    pub fn from_env() -> Self {
        let licenses = number("BENCH_LICENSES", 1000).max(1);
        let license_limit = std::env::var("BENCH_LICENSE_LIMIT").ok().map(|text| {
            text.trim()
                .parse()
                .unwrap_or_else(|_| panic!("BENCH_LICENSE_LIMIT must be a number, not {text:?}"))
        });
        Self {
            backends: backends(),
            connections: numbers("BENCH_CONNECTIONS", &[1, 64, 1000]),
            requests_single: number("BENCH_REQUESTS_SINGLE", 300),
            requests: number("BENCH_REQUESTS", 6000),
            licenses,
            license_limit,
            agents: number("BENCH_AGENTS", 500).max(1),
            users: number("BENCH_USERS", 10_000).max(licenses + 1),
            page_connections: numbers("BENCH_PAGE_CONNECTIONS", &[1, 64]),
            page_requests: number("BENCH_PAGE_REQUESTS", 1000),
            logins: number("BENCH_LOGINS", 200),
            login_concurrency: number("BENCH_LOGIN_CONCURRENCY", 16).max(1),
            deadline: Duration::from_secs(number("BENCH_DEADLINE_SECS", 1800) as u64),
        }
    }

    /// Requests of one gateway scenario at `connections`.
    pub fn requests_at(&self, connections: usize) -> usize {
        if connections == 1 {
            self.requests_single
        } else {
            self.requests
        }
    }

    /// Gateway calls one scenario sends over all connection counts.
    pub fn gateway_calls(&self) -> usize {
        self.connections.iter().map(|&c| self.requests_at(c)).sum()
    }

    /// The hot license's limit: above every call it is sent.
    pub fn hot_limit(&self) -> i64 {
        self.gateway_calls() as i64 + 1
    }

    /// The limit of each spread license: `BENCH_LICENSE_LIMIT`, or above its share of calls.
    pub fn spread_limit(&self) -> i64 {
        self.license_limit
            .unwrap_or_else(|| self.gateway_calls().div_ceil(self.licenses) as i64 + 1)
    }

    /// The most connections any scenario opens at once.
    pub fn most_connections(&self) -> usize {
        let page = self.page_connections.iter();
        let all = self.connections.iter().chain(page);
        all.copied()
            .chain([self.login_concurrency])
            .max()
            .unwrap_or(1)
    }
}
