use super::*;

fn raw(name: &str) -> RawSignatory {
    RawSignatory {
        name: name.into(),
        ..RawSignatory::default()
    }
}

#[test]
fn handles_are_normalised_and_bad_ones_refused() {
    for (given, want) in [
        ("@Alice@Mastodon.Social", Some("alice@mastodon.social")),
        ("alice@example.org", Some("alice@example.org")),
        ("acct:bob@localhost:8080", Some("bob@localhost:8080")),
        ("moi", None),
        ("@moi", None),
        ("a@", None),
        ("a b@example.org", None),
        ("@a@b@c", None),
    ] {
        assert_eq!(normalise_handle(given).as_deref(), want, "{given}");
    }
}

#[test]
fn a_list_names_the_line_and_field_of_its_first_problem() {
    let ok = check_list(&[raw("Ada"), raw("Grace")], 1).unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].kind, SignatoryKind::Person);

    let err = check_list(&[raw("Ada"), raw("  ")], 1).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (2, "name"));

    let err = check_list(&[raw("Ada"), raw("ada")], 1).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (2, "name"));
    assert!(err.problem.contains("same signatory as 1"), "{err}");

    let mut unknown = raw("Ada");
    unknown.kind = Some("robot".into());
    let err = check_list(&[unknown], 1).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (1, "kind"));

    let mut link = raw("Ada");
    link.link = Some("javascript:alert(1)".into());
    assert_eq!(check_list(&[link], 1).unwrap_err().field, "link");

    let (mut a, mut b) = (raw("Ada"), raw("Grace"));
    a.handle = Some("@ada@example.org".into());
    b.handle = Some("ADA@example.org".into());
    let err = check_list(&[a, b], 1).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (2, "handle"));
}

#[test]
fn csv_files_are_read_with_their_line_numbers() {
    let csv = "name,role,organisation,kind,handle\n\
               Ada Lovelace,Présidente,Asso A,person,@ada@example.org\n\
               \"Asso B, Lyon\",,,organisation,\n";
    let list = from_csv(csv.as_bytes()).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].role.as_deref(), Some("Présidente"));
    assert_eq!(list[0].handle.as_deref(), Some("ada@example.org"));
    assert_eq!(list[1].name, "Asso B, Lyon");
    assert_eq!(list[1].kind, SignatoryKind::Organisation);

    // A byte-order mark is fine.
    assert!(from_csv("\u{feff}name\nAda\n".as_bytes()).is_ok());

    let err = from_csv(b"nom,role\nAda,x\n").unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (1, "header"));
    assert!(err.problem.contains("\"nom\""), "{err}");

    let err = from_csv(b"role\nx\n").unwrap_err();
    assert_eq!(err.field, "header");

    let err = from_csv(b"name,kind\nAda,person\nGrace,robot\n").unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (3, "kind"));

    let err = from_csv(b"name,kind\nAda,person\nGrace\n").unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (3, "line"));

    // Latin-1, as a spreadsheet may save it.
    let err = from_csv(b"name\nAda\nFran\xe7oise\n").unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (3, "encoding"));

    assert_eq!(from_csv(b"name\n").unwrap_err().line, 2);
}
