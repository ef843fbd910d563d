//! Secrets in agent input, end to end: the real email agent sends through a stand-in SMTP
//! server with a password. The server sees the real password (the agent got it); the stored
//! execution, both execution lists and every other row we wrote show only the mask.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use abetworks::catalog::find_agent;
use abetworks::entities::enums::Role;
use abetworks::entities::{api_usage_tracking, error_logs, logs, module_executions};
use abetworks::executions::{list_all, list_mine, ExecutionFilter};
use abetworks::gateway::{execute, ExecuteRequest, EXECUTE_ENDPOINT};
use abetworks::licenses::{grant, GrantLicense, QuotaPlan};
use abetworks::pagination::PageRequest;
use abetworks::quota::QuotaContext;
use abetworks::secrets::MASK;
use abetworks::testing::TestDatabase;
use abetworks::users::{create_user, NewUser};
use abetworks::Actor;
use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::json;

use super::{service, synced_catalog};

/// ASCII, as SMTP `AUTH PLAIN` carries it.
const SMTP_PASSWORD: &str = "smtp-pass-7Q2x9Lk4";

/// Standard base64 (padding ignored): enough to read an `AUTH PLAIN` line.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut bits, mut held, mut out) = (0u32, 0u32, Vec::new());
    for sextet in text
        .bytes()
        .filter_map(|c| ALPHABET.iter().position(|a| *a == c))
    {
        bits = (bits << 6) | sextet as u32;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    out
}

/// A one-connection SMTP server that takes `AUTH PLAIN` and any mail, and reports the
/// password it was given.
fn smtp_sink() -> (u16, Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the SMTP sink");
    let port = listener.local_addr().expect("an address").port();
    let (passwords, received) = channel();
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let Ok(read_half) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(read_half);
        let mut writer = stream;
        let mut say = |line: &str| {
            let _ = writer.write_all(format!("{line}\r\n").as_bytes());
        };
        say("220 sink.test ESMTP");
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let command = line.trim_end().to_owned();
            let verb = command
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => {
                    say("250-sink.test");
                    say("250 AUTH PLAIN");
                }
                "AUTH" => {
                    let encoded = command.rsplit(' ').next().unwrap_or_default();
                    let decoded = String::from_utf8_lossy(&base64_decode(encoded)).into_owned();
                    let password = decoded.split('\0').nth(2).unwrap_or_default().to_owned();
                    let _ = passwords.send(password);
                    say("235 2.7.0 Authentication successful");
                }
                "DATA" => {
                    say("354 End data with <CR><LF>.<CR><LF>");
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                    }
                    say("250 2.0.0 queued");
                }
                "QUIT" => {
                    say("221 2.0.0 bye");
                    return;
                }
                _ => say("250 OK"),
            }
        }
    });
    (port, received)
}

async fn user(
    db: &DatabaseConnection,
    email: &str,
    role: Role,
) -> abetworks::entities::users::Model {
    create_user(
        db,
        NewUser {
            email,
            name: "Secret Tester",
            password: "a long enough password",
            role,
        },
    )
    .await
    .expect("the user is created")
}

/// Every row of `E` as JSON text.
async fn rows_of<E>(db: &DatabaseConnection) -> String
where
    E: EntityTrait,
    E::Model: serde::Serialize,
{
    let rows = E::find().all(db).await.expect("the rows");
    serde_json::to_string(&rows).expect("rows as JSON")
}

async fn the_agent_gets_the_smtp_password_and_no_stored_row_shows_it(test_db: TestDatabase) {
    let (db, agents) = synced_catalog(&test_db, false).await;
    let agent = find_agent(&db, "email")
        .await
        .expect("the catalog")
        .expect("the email agent");
    let admin = user(&db, "root@example.com", Role::SuperAdmin).await;
    let member = user(&db, "dana@example.com", Role::Member).await;
    grant(
        &db,
        &Actor::new(&admin, None, None),
        GrantLicense {
            user_id: member.id.clone(),
            agent_id: agent.id.clone(),
            api_call_limit: 5,
            expires_at: None,
            plan: QuotaPlan::default(),
        },
    )
    .await
    .expect("a license");

    let (port, passwords) = smtp_sink();
    let input = json!({
        "subject_template": "Hello {{ first_name }}",
        "body_template": "Hi {{ first_name }}, welcome aboard.",
        "recipients": [{"email": "ada@example.com", "fields": {"first_name": "Ada"}}],
        "smtp": {"host": "127.0.0.1", "port": port, "sender": "dana@abetworks.test",
                 "username": "dana", "password": SMTP_PASSWORD}
    });
    let outcome = execute(
        &db,
        &agents,
        ExecuteRequest {
            user_id: &member.id,
            api_key_id: None,
            key_agent_scope: None,
            agent: "email",
            input,
            request_id: Some("secret-test"),
            endpoint: EXECUTE_ENDPOINT,
            method: "POST",
            quota: QuotaContext {
                now: Utc::now(),
                default_burst_per_second: None,
            },
            lease: Default::default(),
        },
    )
    .await
    .expect("no fault of ours");
    let success = outcome.unwrap_or_else(|failure| {
        panic!(
            "the email agent failed: {failure:?} (service log: {})",
            service().log_path.display()
        )
    });
    assert_eq!(success.output["sent"], 1, "{:#}", success.output);
    let received = passwords
        .recv_timeout(Duration::from_secs(30))
        .expect("the agent signed in to the SMTP server");
    assert_eq!(received, SMTP_PASSWORD, "the agent got the real password");

    let row = module_executions::Entity::find_by_id(success.execution_id.clone())
        .one(&db)
        .await
        .expect("the execution")
        .expect("the execution row");
    assert_eq!(row.input["smtp"]["password"], MASK);
    assert_eq!(
        row.input["smtp"]["username"], "dana",
        "only the secret is masked"
    );
    let everything = ExecutionFilter::default();
    let admin_list = list_all(&db, &everything, PageRequest::default())
        .await
        .expect("the admin list");
    assert_eq!(admin_list.items[0].input["smtp"]["password"], MASK);
    let own_list = list_mine(
        &db,
        &Actor::new(&member, None, None),
        None,
        PageRequest::default(),
    )
    .await
    .expect("the member's list");
    let shown: Vec<(&str, String)> = vec![
        (
            "the execution row",
            rows_of::<module_executions::Entity>(&db).await,
        ),
        ("the admin list", json_text(&admin_list)),
        ("the member's list", json_text(&own_list)),
        ("the audit log", rows_of::<logs::Entity>(&db).await),
        ("the error log", rows_of::<error_logs::Entity>(&db).await),
        (
            "the usage rows",
            rows_of::<api_usage_tracking::Entity>(&db).await,
        ),
    ];
    for (what, text) in shown {
        assert!(
            !text.contains(SMTP_PASSWORD),
            "{what} shows the password: {text}"
        );
    }
}
abetworks::on_every_database!(the_agent_gets_the_smtp_password_and_no_stored_row_shows_it);

fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("JSON")
}
