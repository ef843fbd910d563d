//! The window arithmetic of admission, written once for every counter of calls per window:
//! a license's, a pool's (`crate::subscriptions`) and a member's share of a pool.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ExprTrait};

use crate::licenses::UNLIMITED;

/// A counter of calls per window on a row (a license's, a pool's, a member's share of a pool):
/// the column holding the start of the window it counts and the column counting it. The one
/// place the window arithmetic of admission is written.
pub(crate) struct WindowCounter<C> {
    pub start: C,
    pub used: C,
}

impl<C: ColumnTrait + Copy> WindowCounter<C> {
    /// The row still counts `window`.
    pub fn same_window(&self, window: i64) -> Expr {
        Expr::col(self.start).eq(window)
    }

    /// The counter after one more call in `window`: one more in the same window, one in a
    /// newer window (an older one is over).
    pub fn after_one_more(&self, window: i64) -> Expr {
        Expr::case(self.same_window(window), Expr::col(self.used).add(1))
            .finally(Expr::value(1i64))
            .into()
    }

    /// The row still counts the window starting at `current` (or a newer one).
    pub fn counts_since(&self, current: i64) -> Expr {
        Expr::col(self.start).gte(current)
    }

    /// The counter carried into another window: its calls while it still counts the window
    /// starting at `current`, none once its stored window is over.
    pub fn carried_over(&self, current: i64) -> Expr {
        Expr::case(self.counts_since(current), Expr::col(self.used))
            .finally(Expr::value(0i64))
            .into()
    }

    /// The row's window is not newer than `window` (an instance whose clock is behind never
    /// steps back).
    pub fn not_ahead_of(&self, window: i64) -> Expr {
        Expr::col(self.start).lte(window)
    }

    /// One more call fits in `window` under `limit` ([`UNLIMITED`] allows any), where the same
    /// window allows `allowed` (the limit and what was added to it, e.g. live top-ups) and a
    /// newer one starts empty.
    pub fn has_room(&self, window: i64, limit: Expr, allowed: Expr) -> Condition {
        Condition::any()
            .add(limit.clone().eq(UNLIMITED))
            .add(
                Condition::all()
                    .add(self.same_window(window))
                    .add(Expr::col(self.used).lt(allowed)),
            )
            .add(
                Condition::all()
                    .add(Expr::col(self.start).lt(window))
                    .add(limit.gt(0)),
            )
    }
}
