"""Checking a transfer package before anything is marked: E-ARK (eark-validator, offline), BagIt
(bagit) for a bag, and our own pass over the zip (every file listed in METS with its size and
SHA-256, nothing listed that is missing, one root folder named by the package id).

``validate(path)`` takes the zip or a bag holding it and returns a list of problems, each
``{'source', 'code', 'message'}``; an empty list means valid.
"""
import os
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

from ..digest import digest_and_size
from ..eark_offline import load as load_eark

METS_NS = '{http://www.loc.gov/METS/}'
XLINK_HREF = '{http://www.w3.org/1999/xlink}href'
# Rules of eark-validator 1.1.3 that no schema-valid METS can pass, kept apart as warnings (never
# silently): SIP14 is read there as "every note of the CREATOR agent has an unqualified NOTETYPE of
# IDENTIFICATIONCODE", while METS allows no unqualified NOTETYPE and CSIP15/16 ask that agent for
# exactly one note, of csip:NOTETYPE "SOFTWARE VERSION" (in the SIP profile, SIP14 is about the
# submitting agent's identification code, which our METS carries on the ARCHIVIST agent).
CONTRADICTORY_RULES = {'SIP14'}


def _problem(source, code, message):
    return {'source': source, 'code': code, 'message': message}


def validate(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        return _validate_bag(path)
    if not zipfile.is_zipfile(path):
        return [_problem('package', 'not_a_zip', f'{path}: không phải tệp zip')]
    problems = _check_listing(path)
    problems.extend(_eark(path))
    return problems


def _validate_bag(path):
    import bagit
    problems = []
    try:
        bag = bagit.Bag(path)
        bag.validate()
    except bagit.BagError as exc:
        problems.append(_problem('bagit', 'bag_invalid', f'{path}: {exc}'))
        details = getattr(exc, 'details', None) or ()
        problems.extend(_problem('bagit', 'bag_invalid', str(d)) for d in details)
        return problems
    zips = [p for p in bag.payload_files() if p.endswith('.zip')]
    if not zips:
        problems.append(_problem('bagit', 'bag_without_package', f'{path}: không có gói zip trong data/'))
    for name in zips:
        problems.extend(validate(os.path.join(path, name)))
    return problems


def _check_listing(path):
    """Every zip entry under one root folder, and the files METS lists with their recorded size
    and SHA-256 all there, and nothing else."""
    problems = []
    with zipfile.ZipFile(path) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        roots = {n.split('/', 1)[0] for n in names}
        if len(roots) != 1:
            return [_problem('package', 'root_folders', f'gói có {len(roots)} thư mục gốc, cần đúng một')]
        root = roots.pop()
        try:
            with zf.open(f'{root}/METS.xml') as f:
                mets = etree.parse(f, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
        except KeyError:
            return [_problem('package', 'mets_missing', 'gói không có METS.xml')]
        except etree.XMLSyntaxError as exc:
            return [_problem('package', 'mets_malformed', f'METS.xml: {exc}')]
        if mets.getroot().get('OBJID') != root:
            problems.append(_problem('package', 'objid_mismatch',
                                     f'OBJID {mets.getroot().get("OBJID")} khác tên thư mục gốc {root}'))
        listed = {}
        for el in mets.iter(f'{METS_NS}file', f'{METS_NS}mdRef'):
            href = el.get(XLINK_HREF) if el.tag == f'{METS_NS}mdRef' else \
                el.find(f'{METS_NS}FLocat').get(XLINK_HREF)
            listed[href] = (el.get('SIZE'), (el.get('CHECKSUM') or '').lower())
        present = {n[len(root) + 1:] for n in names} - {'METS.xml'}
        for missing in sorted(set(listed) - present):
            problems.append(_problem('package', 'file_missing', f'{missing}: có trong METS, không có trong gói'))
        for extra in sorted(present - set(listed)):
            problems.append(_problem('package', 'file_unlisted', f'{extra}: có trong gói, không có trong METS'))
        for name in sorted(set(listed) & present):
            with zf.open(f'{root}/{name}') as f:
                sha, size = digest_and_size(f)
            want_size, want_sha = listed[name]
            if str(size) != want_size or sha != want_sha:
                problems.append(_problem('package', 'checksum_mismatch',
                                         f'{name}: {size} byte, sha256 {sha} khác METS '
                                         f'({want_size} byte, {want_sha})'))
    return problems


def _eark(path):
    """eark-validator's verdict (CSIP 2.1 and the SIP profile) on the unpacked package."""
    packages = load_eark()
    from eark_validator.model.validation_report import Severity, StructureStatus
    from eark_validator.specifications.specification import SpecificationVersion
    problems = []
    with tempfile.TemporaryDirectory(prefix='sip-check-') as folder:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(folder)
        children = os.listdir(folder)
        if len(children) != 1:
            return [_problem('eark', 'structure', f'gói giải nén ra {len(children)} mục, cần một thư mục')]
        try:
            report = packages.PackageValidator.validate(SpecificationVersion.V2_1_0, Path(folder, children[0]))
        except (ValueError, AttributeError, OSError) as exc:     # it gives up on some broken METS
            return [_problem('eark', 'unreadable', f'eark-validator: {exc}')]
    for result in report.structure.messages:
        if result.severity == Severity.ERROR:
            problems.append(_problem('eark', result.rule_id or 'structure', f'{result.location}: {result.message}'))
    if report.metadata is not None:
        for results in (report.metadata.schema_results, report.metadata.schematron_results):
            for result in results.messages:
                if result.severity == Severity.ERROR and result.rule_id not in CONTRADICTORY_RULES:
                    problems.append(_problem('eark', result.rule_id or 'metadata',
                                             f'{result.location}: {result.message}'))
    if not problems and report.structure.status != StructureStatus.WELLFORMED:
        problems.append(_problem('eark', 'structure', f'eark-validator: {report.structure.status.value}'))
    return problems


def warnings(path):
    """eark-validator's warnings and information on a zip (not blocking): for the report."""
    packages = load_eark()
    from eark_validator.model.validation_report import Severity
    from eark_validator.specifications.specification import SpecificationVersion
    with tempfile.TemporaryDirectory(prefix='sip-check-') as folder:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(folder)
        report = packages.PackageValidator.validate(SpecificationVersion.V2_1_0,
                                                    Path(folder, os.listdir(folder)[0]))
    out = list(report.structure.messages)
    if report.metadata is not None:
        out += report.metadata.schema_results.messages + report.metadata.schematron_results.messages
    return [(r.severity.value, r.rule_id, r.message) for r in out
            if r.severity != Severity.ERROR or r.rule_id in CONTRADICTORY_RULES]
