"""Test helper: write a small dataset into a Hugging Face datasets cache exactly where and how
`datasets.load_dataset(REPO, CONFIG)` leaves a hub dataset after downloading it, so an offline run
finds it there. No network: the rows come from a local JSONL file, prepared by `datasets`' own
packaged JSON builder (the same builder family it uses for a hub repo's data files) under the hub
repo's id, config name and a commit-like hash.

    python make-hf-cache.py CACHE_DIR REPO_ID CONFIG ROWS.jsonl [SPLIT ...]
"""

import sys

from datasets.data_files import DataFilesDict
from datasets.packaged_modules.json.json import Json, JsonConfig


def main(cache_dir: str, repo_id: str, config: str, rows: str, splits: list[str]) -> None:
    files = DataFilesDict.from_patterns({split: [rows] for split in splits})

    class HubRepo(Json):
        BUILDER_CONFIGS = [JsonConfig(name=config, data_files=files)]

    builder = HubRepo(
        cache_dir=cache_dir,
        dataset_name=repo_id.split("/")[-1],
        config_name=config,
        hash="0" * 40,
    )
    # a hub download sets repo_id: the cache folder becomes <namespace>___<name>/<config>/<version>/<hash>
    builder.repo_id = repo_id
    builder._cache_dir = builder._build_cache_dir()
    builder.download_and_prepare()
    print(builder.cache_dir)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:] or ["train", "validation", "test"])
