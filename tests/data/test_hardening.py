

def test_a_directory_is_reported_as_a_directory(tmp_path):
    folder = tmp_path / "exports.csv"
    folder.mkdir()
    for args in (["import", str(folder), "--task", "uti", "--map", "prompt=a", "--map", "chosen=b",
                  "--out", str(tmp_path / "o.jsonl")], ["validate", str(folder), "--task", "uti"]):
        result = CliRunner().invoke(app, args)
        assert isinstance(result.exception, UserError)
        assert str(result.exception) == f"{folder}: is a directory; pass the data file inside it"
