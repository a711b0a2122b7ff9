"""ingest: a dataset source (Debian Fashion-MNIST, tfds name, .npz, IDX folder) -> Dataset."""

from __future__ import annotations


from components import artifacts, base, cli
from evoshift_tf import data


def execute(inputs, outputs, params, work_dir):
    dataset = data.load(params["dataset"], params["data_dir"] or None)
    if params["max_train"] > 0:
        dataset = data.Dataset(dataset.info, dataset.train.take(slice(0, params["max_train"])),
                               dataset.test)
    if params["max_test"] > 0:
        dataset = data.Dataset(dataset.info, dataset.train,
                               dataset.test.take(slice(0, params["max_test"])))
    artifacts.save_dataset(outputs["dataset"], dataset)


SPEC = base.ComponentSpec(
    name="ingest", inputs={}, outputs={"dataset": artifacts.DATASET},
    parameters={
        "dataset": base.Parameter(str, "fashion_mnist", "dataset name (fashion_mnist, mnist, "
                                  "svhn_cropped, cifar10, stl10, imagenet_resized/64x64), a .npz "
                                  "file or a folder of IDX files"),
        "data_dir": base.Parameter(str, "", "IDX folder for fashion_mnist (default "
                                   f"{data.DEBIAN_FASHION_MNIST_DIR}) or the tfds data_dir"),
        "max_train": base.Parameter(int, 0, "keep the first N training images (0 = all)"),
        "max_test": base.Parameter(int, 0, "keep the first N test images (0 = all)"),
    },
    executor=execute)

if __name__ == "__main__":
    cli.main(SPEC)
