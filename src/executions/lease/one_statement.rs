//! Admission as one statement on PostgreSQL, for a call on the caller's own license.
//!
//! In the transaction of [`super::admit_and_start`] the license row stays locked from its
//! admission `UPDATE` until the `COMMIT`, across the `INSERT` of the execution and two round
//! trips: on one busy license the calls queue on that row. Here the admission and the
//! execution's `INSERT` are one data-modifying `WITH` query that commits on its own:
//!
//! ```sql
//! WITH admitted AS (UPDATE user_agent_licenses SET … WHERE … RETURNING *),
//!      started AS (INSERT INTO module_executions (…) SELECT $1, … FROM admitted)
//! SELECT * FROM admitted
//! ```
//!
//! The `INSERT` reads its one row from the `UPDATE`'s, so the execution is recorded exactly
//! when the unit is taken, and the statement is atomic: both or neither, as in the
//! transaction. The row is locked only while the statement runs and commits.
//!
//! When the `UPDATE` matches no row (a refusal, or a row changed since it was read) nothing is
//! written and the caller takes the transaction, which explains the refusal or asks the pool.

use sea_orm::sea_query::{Asterisk, CommonTableExpression, Expr, Query, WithClause};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable, QueryTrait,
    Statement, TryIntoModel,
};

use super::{running_row, LeaseSettings, NewExecution, Started, Unit};
use crate::entities::module_executions as executions;
use crate::entities::user_agent_licenses as licenses;
use crate::error::CoreResult;
use crate::quota::{self, QuotaContext};

/// The name of the license row after admission inside the query.
const ADMITTED: &str = "admitted";
/// The name of the execution's `INSERT` inside the query.
const STARTED: &str = "started";

/// Admits the call on the caller's license and records it `running` in one statement;
/// `None` when the caller has no license in force or the statement refused the call (nothing
/// was written).
pub(super) async fn admit_and_start(
    db: &DatabaseConnection,
    ctx: &QuotaContext,
    new: &NewExecution,
    lease: &LeaseSettings,
) -> CoreResult<Option<Started>> {
    let Ok(license) = quota::check_license(db, &new.user_id, &new.agent_id, ctx.now).await? else {
        return Ok(None);
    };
    let window = quota::window_to_admit_in(&license, ctx.now);
    let unit = Unit::License(license.id.clone());
    let row = running_row(new.clone(), &unit, window, lease, ctx.now);
    let admission = quota::admission_statement(&license, window, ctx);
    let statement = admit_and_insert(db, admission, &row)?;
    let Some(after) = licenses::Entity::find()
        .from_raw_sql(statement)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let execution = row.try_into_model()?;
    let usage = quota::usage_after(&after, window, ctx.now).with_source(unit.source());
    Ok(Some(Started {
        execution,
        unit,
        window_start_unix: window,
        usage,
    }))
}

/// The `WITH` query running `admission` (returning the row after it) and inserting `row` for
/// each row it admitted, whose result is the license row after admission.
fn admit_and_insert(
    db: &impl ConnectionTrait,
    admission: sea_orm::UpdateMany<licenses::Entity>,
    row: &executions::ActiveModel,
) -> CoreResult<Statement> {
    let mut update = admission.into_query();
    update.returning_all();
    let (columns, values): (Vec<_>, Vec<_>) = executions::Column::iter()
        .filter_map(|column| row.get(column).into_value().map(|value| (column, value)))
        .unzip();
    let one_per_admission = Query::select()
        .exprs(values.into_iter().map(Expr::val))
        .from(ADMITTED)
        .to_owned();
    let mut insert = Query::insert();
    insert
        .into_table(executions::Entity)
        .columns(columns)
        .select_from(one_per_admission)
        // The columns and values come from one iteration: a mismatch is a bug, not bad input.
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let query = WithClause::new()
        .cte(
            CommonTableExpression::new()
                .query(update)
                .table_name(ADMITTED)
                .to_owned(),
        )
        .cte(
            CommonTableExpression::new()
                .query(insert)
                .table_name(STARTED)
                .to_owned(),
        )
        .to_owned()
        .query(Query::select().column(Asterisk).from(ADMITTED).to_owned());
    Ok(db.get_database_backend().build(&query))
}
