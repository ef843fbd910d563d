//! Case-insensitive substring search that treats user text literally on every database.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition};

/// `%`, `_` and `\` in user text match themselves, not patterns.
pub fn like_contains(text: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
}

/// `lower(table.column)`, to compare with a lower-cased pattern (PostgreSQL's LIKE is
/// case-sensitive). Qualified with its table, so it stays unambiguous in joined queries (users
/// and agents both have a `name`).
pub fn lower(column: impl ColumnTrait) -> Expr {
    Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
}

/// Rows where `text` (see [`like_contains`]) is in any of `columns`, each given as [`lower`]
/// of a column.
pub fn in_any(text: &str, columns: impl IntoIterator<Item = Expr>) -> Condition {
    let pattern = like_contains(text);
    columns.into_iter().fold(Condition::any(), |any, column| {
        any.add(column.like(pattern.clone()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_user_text_are_escaped() {
        let printed = format!("{:?}", like_contains("50%_OFF\\"));
        assert!(printed.contains(r"50\\%\\_off\\\\"), "{printed}");
    }
}
