"""A transfer package wrapped as a BagIt bag (RFC 8493, SHA-256), with ``bagit``.

The bag is made in ``<bag>.part`` and renamed when whole, like the zip it carries."""
import os
import shutil

from ... import clock


def make_bag(zip_path, bag_path, body, package_id):
    """A bag at ``bag_path`` whose payload is the package zip (copied into ``data/``)."""
    import bagit
    part = bag_path + '.part'
    if os.path.exists(part):
        shutil.rmtree(part)
    os.makedirs(part)
    shutil.copy2(zip_path, os.path.join(part, os.path.basename(zip_path)))
    bagit.make_bag(part, {'Source-Organization': body.name, 'Organization-Address': body.code,
                          'External-Identifier': package_id,
                          'Bagging-Date': clock.today().isoformat()},
                   checksums=['sha256'])
    os.replace(part, bag_path)
    return bag_path
