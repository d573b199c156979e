"""workflows/ is the only place where states and transitions are defined: a modified
copy of the files changes the behaviour and the recorded codes."""
import os
import re
import shutil

from archive.seed import HOST

from ..conftest import HERE, base_settings, client, close_app, file_uri, make_app, open_root
from ..helpers import incoming

API = f'/api/v1/bodies/{HOST}/documents'


def test_a_modified_copy_of_the_workflows_changes_behaviour_and_codes(tmp_path):
    folder = tmp_path / 'workflows'
    shutil.copytree(os.path.join(HERE, 'workflows'), folder)
    path = folder / 'incoming.zcml'
    text = path.read_text()
    text = re.sub(r'"registered"', '"accepted"', text)                 # a state renamed
    text = text.replace('<key name="code" value="03"/>', '<key name="code" value="93"/>')   # a code changed
    text = text.replace('title="Đã tiếp nhận"', 'title="Đã nhận vào sổ"')
    path.write_text(text)
    app = make_app(base_settings(tmp_path, file_uri(tmp_path), **{'archive.workflows_dir': str(folder)}))
    try:
        clerk = client(app, 'vanthu')
        doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
        done = clerk.post_json(f"{API}/{doc['id']}/transitions/register", {},
                               headers={'X-CSRF-Token': clerk.csrf}).json
        assert done['status'] == 'accepted'
        page = clerk.get(f"/bodies/{HOST}/documents/{doc['id']}/")
        assert 'Đã nhận vào sổ' in page.text
        history = clerk.get(f"{API}/{doc['id']}/history").json['items']
        assert history[-1]['details']['to'] == 'accepted'
        conn, root = open_root(app)
        codes = [m['status_code'] for _k, m in root.outbox.items.items() if m['document'] == doc['id']]
        conn.close()
        assert codes == ['93']
        leader = client(app, 'lanhdao')
        assert sorted(a['action'] for a in leader.get(f"{API}/{doc['id']}/transitions").json['items']) == [
            'assign', 'refuse']
    finally:
        close_app(app)


def test_the_shipped_workflows_carry_the_edxml_codes(app, clerk):
    wf = app.registry.archive_workflows
    codes = {name: data.get('code') for name, data in wf['incoming']._state_data.items()}
    assert codes == {'arrived': '01', 'registered': '03', 'assigned': '04', 'processing': '05',
                     'completed': '06', 'refused': '02', 'recalled': None, 'destroyed': '15', 'deleted': None}
    keep = [t for t in wf['incoming']._transition_data.values() if t.get('action') == 'keep']
    assert {t.get('code') for t in keep} == {'16'}            # refusing a recall answers 16, wherever it returns
    assert wf['outgoing'].initial_state == 'draft' and wf['incoming'].initial_state == 'arrived'


def test_no_state_is_defined_in_python():
    """States are named in workflows/*.zcml only; Python code never compares a document's state
    with a name (what a state means is a key there: ``editable``, ``held``, ``deadline_runs``…).
    Other things share the words (a batch is ``approved``, a statistic counts what was ``sent``):
    only a line that says ``state`` (any case) is looked at."""
    states = set()
    for name in os.listdir(os.path.join(HERE, 'workflows')):
        states |= set(re.findall(r'<state name="([^"]+)"', open(os.path.join(HERE, 'workflows', name)).read()))
    source = os.path.join(HERE, 'src', 'archive')
    offenders = []
    for folder, _dirs, files in os.walk(source):
        for f in files:
            if f.endswith('.py'):
                for line in open(os.path.join(folder, f), encoding='utf-8'):
                    if re.search('state', line, re.IGNORECASE):
                        offenders += [(f, state) for state in states if re.search(rf"['\"]{state}['\"]", line)]
    assert len(states) == 15          # both workflows, "recalled" in each
    assert offenders == []


def test_each_transition_fires_an_event(app, clerk):
    from archive.workflow.engine import Transitioned
    seen = []
    app.registry.registerHandler(lambda event: seen.append(event), (Transitioned,))
    doc = clerk.post_json(API, incoming(), headers={'X-CSRF-Token': clerk.csrf}, status=201).json
    clerk.post_json(f"{API}/{doc['id']}/transitions/register", {}, headers={'X-CSRF-Token': clerk.csrf})
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in seen] == [
        ('register', 'arrived', 'registered', 'vanthu')]
