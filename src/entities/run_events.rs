//! The `run_events` table. The events of a background run in order (`seq` from 1): its status
//! changes, progress, output and error, which `GET /api/runs/{runId}/events` streams and
//! replays after a `Last-Event-ID`. Written in the transaction that changes the run.

use sea_orm::entity::prelude::*;

use super::enums::RunEventKind;

super::model! {
    table "run_events";
    pub run_id: String,
    pub seq: i64,
    pub kind: RunEventKind,
    pub data: Json,
    pub created_at: DateTimeUtc,
}

super::relations! {
    Run: belongs_to module_executions via RunId, on delete Cascade, named "fk_run_events_run_id";
}

super::related!(module_executions => Run);

impl ActiveModelBehavior for ActiveModel {}
