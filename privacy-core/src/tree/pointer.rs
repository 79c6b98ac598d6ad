//! Locations in a [`Tree`] as JSON pointers (RFC 6901): `/devices/1/serial`.

use super::Tree;

/// Appends one reference token to `pointer`, escaping `~` and `/`.
pub(crate) fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    if !token.bytes().any(|b| b == b'~' || b == b'/') {
        pointer.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Appends a sequence index as one reference token to `pointer`.
pub(crate) fn push_index(pointer: &mut String, index: usize) {
    pointer.push('/');
    // Writing to a String cannot fail.
    let _ = core::fmt::Write::write_fmt(pointer, format_args!("{index}"));
}

/// The node at `pointer`, if the pointer is well formed and names one.
pub(crate) fn resolve<'t>(tree: &'t Tree, pointer: &str) -> Option<&'t Tree> {
    let mut node = tree;
    if pointer.is_empty() {
        return Some(node);
    }
    let rest = pointer.strip_prefix('/')?;
    for raw in rest.split('/') {
        let token = unescape(raw)?;
        node = match node {
            Tree::Map(entries) => entries
                .iter()
                .find(|(k, _)| match k.as_str() {
                    Some(text) => text == token,
                    None => k.key_text().as_deref() == Some(token.as_str()),
                })
                .map(|(_, v)| v)?,
            Tree::Seq(items) => {
                // RFC 6901: digits only (no sign), no leading zeros.
                if !token.bytes().all(|b| b.is_ascii_digit())
                    || (token.len() > 1 && token.starts_with('0'))
                {
                    return None;
                }
                let index: usize = token.parse().ok()?;
                items.get(index)?
            }
            _ => return None,
        };
    }
    Some(node)
}

fn unescape(token: &str) -> Option<String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next()? {
                '0' => out.push('~'),
                '1' => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_and_resolve() {
        let mut p = String::new();
        push(&mut p, "a/b");
        push(&mut p, "~x");
        assert_eq!(p, "/a~1b/~0x");
        let tree = Tree::Map(vec![(
            Tree::Str("a/b".into()),
            Tree::Map(vec![(
                Tree::Str("~x".into()),
                Tree::Seq(vec![Tree::U64(7)]),
            )]),
        )]);
        assert!(resolve(&tree, &p).is_some_and(|n| matches!(n, Tree::Seq(_))));
        assert!(resolve(&tree, "/a~1b/~0x/0").is_some_and(|n| *n == Tree::U64(7)));
        assert!(resolve(&tree, "/a~1b/~0x/00").is_none());
        // Digits only: `+0` and `-0` name no element.
        assert!(resolve(&tree, "/a~1b/~0x/+0").is_none());
        assert!(resolve(&tree, "/a~1b/~0x/-0").is_none());
        assert!(resolve(&tree, "/missing").is_none());
        assert!(resolve(&tree, "/a~2b").is_none());
        assert!(resolve(&tree, "no-slash").is_none());
    }
}
