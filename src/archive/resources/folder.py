"""A BTree folder with lineage, as Substance D and Kotti keep their children."""
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent


class Folder(Persistent):
    """Children in an ``OOBTree`` with a conflict-free ``Length`` for the count."""

    __name__ = None
    __parent__ = None

    def __init__(self):
        self.data = OOBTree()
        self._num = Length()

    def __getitem__(self, name):
        return self.data[name]

    def get(self, name, default=None):
        return self.data.get(name, default)

    def __contains__(self, name):
        return name in self.data

    def __len__(self):
        return self._num()

    def __iter__(self):
        return iter(self.data.keys())

    def keys(self, min=None, max=None):
        return self.data.keys(min, max)

    def values(self):
        return self.data.values()

    def items(self):
        return self.data.items()

    def add(self, name, obj):
        """Add ``obj`` under ``name`` and set its lineage; a name is never replaced."""
        if not isinstance(name, str) or not name or '/' in name:
            raise ValueError(f'bad child name: {name!r}')
        if name in self.data:
            raise KeyError(f'{name!r} already exists')
        obj.__name__ = name
        obj.__parent__ = self
        self.data[name] = obj
        self._num.change(1)
        return obj


def find_root(resource):
    while resource.__parent__ is not None:
        resource = resource.__parent__
    return resource


def find_interface(resource, cls):
    while resource is not None:
        if isinstance(resource, cls):
            return resource
        resource = resource.__parent__
    return None
