//! The filter and PATCH path parsers: any UTF-8 input must give a value or
//! an error without panicking, and whatever parses must print in a
//! canonical form that parses back to the same AST.

/// Parses `data` as a filter and as a PATCH path.
pub fn filter_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = scim_filter::parse(text) {
        let printed = filter.to_string();
        let again = scim_filter::parse(&printed);
        assert_eq!(again.as_ref(), Ok(&filter), "{printed}");
        assert_eq!(
            again.map(|f| f.to_string()).as_deref(),
            Ok(printed.as_str())
        );
    }
    if let Ok(path) = scim_filter::parse_path(text) {
        let printed = path.to_string();
        assert_eq!(
            scim_filter::parse_path(&printed).as_ref(),
            Ok(&path),
            "{printed}"
        );
    }
}
