use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

use super::*;

const TYPE: &str = "multipart/form-data; boundary=X";

fn body(parts: &[(&str, Option<&str>, &str)]) -> Bytes {
    let mut out = String::new();
    for (name, filename, value) in parts {
        out.push_str("--X\r\nContent-Disposition: form-data; name=\"");
        out.push_str(name);
        out.push('"');
        if let Some(filename) = filename {
            out.push_str(&format!(
                "; filename=\"{filename}\"\r\nContent-Type: text/plain"
            ));
        }
        out.push_str("\r\n\r\n");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("--X--\r\n");
    Bytes::from(out)
}

fn start(body: Bytes, limits: MultipartLimits) -> (Parts, Arc<Notify>) {
    let told = Arc::new(Notify::new());
    let teller = told.clone();
    let notifier = Box::new(move || teller.notify_one());
    let parts = Parts::start(Source::Read(body), TYPE, limits, notifier).unwrap();
    (parts, told)
}

async fn next(parts: &Parts, told: &Notify) -> Next {
    loop {
        match parts.next() {
            Next::Wait => told.notified().await,
            next => return next,
        }
    }
}

async fn read(parts: &Parts, told: &Notify) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    loop {
        let taken = parts.take();
        for chunk in taken.chunks {
            out.extend_from_slice(&chunk);
        }
        match taken.end {
            Some(Ok(())) => return Ok(out),
            Some(Err(failure)) => return Err(failure),
            None => told.notified().await,
        }
    }
}

#[tokio::test]
async fn hands_over_fields_and_files_in_order_and_skips_what_is_left() {
    let sent = body(&[
        ("title", None, "hi"),
        ("skipped", None, "zzz"),
        ("doc", Some("a.txt"), "file body"),
    ]);
    let (parts, told) = start(sent, MultipartLimits::default());
    let Next::Part(title) = next(&parts, &told).await else {
        panic!("a part")
    };
    assert_eq!(
        (title.name.as_str(), title.filename.as_deref()),
        ("title", None)
    );
    assert_eq!(read(&parts, &told).await.unwrap(), b"hi");
    let Next::Part(skipped) = next(&parts, &told).await else {
        panic!("a part")
    };
    assert_eq!(skipped.name, "skipped");
    let Next::Part(doc) = next(&parts, &told).await else {
        panic!("a part")
    };
    assert_eq!(doc.filename.as_deref(), Some("a.txt"));
    assert_eq!(doc.content_type.as_deref(), Some("text/plain"));
    assert!(doc
        .headers
        .iter()
        .any(|(name, _)| name == "content-disposition"));
    assert_eq!(read(&parts, &told).await.unwrap(), b"file body");
    assert_eq!(next(&parts, &told).await, Next::End);
}

#[tokio::test]
async fn counts_and_sizes_are_refused_naming_their_limit() {
    let limits = MultipartLimits {
        files: 1,
        ..MultipartLimits::default()
    };
    let sent = body(&[("a", Some("1.txt"), "x"), ("b", Some("2.txt"), "y")]);
    let (parts, told) = start(sent, limits);
    assert!(matches!(next(&parts, &told).await, Next::Part(_)));
    let Next::Failed(Failure::TooMuch(Limit::Files, detail)) = next(&parts, &told).await else {
        panic!("refused")
    };
    assert_eq!(detail, "the body has more than 1 files (files)");

    let limits = MultipartLimits {
        field_size: 3,
        ..MultipartLimits::default()
    };
    let (parts, told) = start(body(&[("title", None, "four")]), limits);
    assert!(matches!(next(&parts, &told).await, Next::Part(_)));
    let Err(Failure::TooMuch(Limit::FieldSize, detail)) = read(&parts, &told).await else {
        panic!("refused")
    };
    assert_eq!(
        detail,
        "the field 'title' is larger than 3 bytes (fieldSize)"
    );
}

#[tokio::test]
async fn a_truncated_body_or_a_part_without_a_name_is_malformed() {
    let cut = Bytes::from_static(b"--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nab");
    let (parts, told) = start(cut, MultipartLimits::default());
    assert!(matches!(next(&parts, &told).await, Next::Part(_)));
    assert!(matches!(
        read(&parts, &told).await,
        Err(Failure::Malformed(_))
    ));

    let nameless = Bytes::from_static(b"--X\r\nContent-Type: text/plain\r\n\r\nab\r\n--X--\r\n");
    let (parts, told) = start(nameless, MultipartLimits::default());
    assert!(matches!(
        next(&parts, &told).await,
        Next::Failed(Failure::Malformed(_))
    ));

    let told: Notifier = Box::new(|| {});
    let refused = Parts::start(
        Source::Read(Bytes::new()),
        "multipart/form-data",
        MultipartLimits::default(),
        told,
    );
    assert!(matches!(refused, Err(Failure::Malformed(_))));
}

#[tokio::test]
async fn saves_a_part_to_a_new_file_and_keeps_an_existing_one() {
    let dir = std::env::temp_dir().join(format!("armature-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("doc.txt");
    let _ = std::fs::remove_file(&path);
    let save = |parts: &Parts, overwrite: bool| {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let done: SaveDone = Box::new(move |saved| drop(sender.send(saved)));
        parts.save(path.clone(), overwrite, Bytes::from_static(b">"), done);
        receiver
    };
    for (overwrite, expected) in [
        (false, Ok(Saved { size: 10 })),
        (false, Err(())),
        (true, Ok(Saved { size: 10 })),
    ] {
        let sent = body(&[("doc", Some("a.txt"), "file body")]);
        let (parts, told) = start(sent, MultipartLimits::default());
        assert!(matches!(next(&parts, &told).await, Next::Part(_)));
        let saved = save(&parts, overwrite).await.unwrap();
        assert_eq!(saved.map_err(|_| ()), expected);
        assert_eq!(std::fs::read(&path).unwrap(), b">file body");
        assert_eq!(next(&parts, &told).await, Next::End);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
