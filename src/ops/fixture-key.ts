// The test key the committed history fixtures (test/fixtures/histories) are encrypted with. It
// protects nothing (the fixtures hold fictitious applicants only) and is no secret; it exists so
// that the fixtures, like production histories, hold no payload in plain text, and so that
// `replay-check --files` can always decrypt them.
export const FIXTURE_ENCRYPTION_KEY = Buffer.from('history-fixtures-test-key-000000', 'utf8').toString('base64');
