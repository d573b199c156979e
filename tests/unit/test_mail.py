"""The official email channel's pieces that need no server: which parts of a mail are packages,
the status mail (stable, 7-bit, CRLF), and an intake or SMTP server that is not configured."""
import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import SimpleNamespace

import pytest

from archive.exchange.channels import Unreachable
from archive.exchange.channels import email as channel
from archive.settings import MailSettings

XML = b'<?xml version="1.0" encoding="utf-8"?><Package/>'


def mail_with(*parts):
    mail = EmailMessage()
    mail['From'], mail['Subject'] = 'ai.do@example.org', 'Thử'
    mail.set_content('Nội dung thư')
    for data, maintype, subtype, filename in parts:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return BytesParser(policy=policy.default).parsebytes(mail.as_bytes(policy=policy.SMTP))


def test_xml_parts_are_found_by_type_or_by_file_name():
    mail = mail_with((XML, 'application', 'xml', 'a.bin'), (XML + b' ', 'text', 'xml', None),
                     (XML + b'  ', 'application', 'octet-stream', 'GOI.EDXML'),
                     (b'%PDF-1.4', 'application', 'pdf', 'van-ban.pdf'))
    assert channel.packages_in(mail) == [XML, XML + b' ', XML + b'  ']
    assert channel.packages_in(mail_with((b'%PDF-1.4', 'application', 'pdf', 'van-ban.pdf'))) == []


def test_a_package_in_a_forwarded_mail_is_found_too():
    inner = mail_with((XML, 'application', 'xml', 'edxml.xml'))
    outer = EmailMessage()
    outer.set_content('Chuyển tiếp')
    outer.add_attachment(inner)
    parsed = BytesParser(policy=policy.default).parsebytes(outer.as_bytes(policy=policy.SMTP))
    assert channel.packages_in(parsed) == [XML]


def test_a_status_mail_is_the_same_mail_for_the_same_bytes_and_travels_7_bit():
    settings = MailSettings(mail_from='btc@ban-to-chuc.example')
    meta = {'sender': '000.00.02.H01', 'receiver': '000.00.01.H01', 'kind': 'status',
            'document_id': '000.00.01.H01,2026/11/20,12/CV-VPTU', 'status_code': '01'}
    first, again = channel.status_mail(XML, meta, settings), channel.status_mail(XML, meta, settings)
    parse = BytesParser(policy=policy.default).parsebytes
    assert parse(first)['Message-ID'] == parse(again)['Message-ID']
    assert parse(first)['Message-ID'].endswith('@ban-to-chuc.example>')
    assert max(first) < 128 and b'\r\n' in first and b'\n' not in first.replace(b'\r\n', b'')
    mail = parse(first)
    assert 'Trạng thái văn bản điện tử 01' in mail['Subject'] and meta['document_id'] in mail['Subject']
    [attachment] = mail.iter_attachments()
    assert attachment.get_content() == XML and attachment.get_filename().startswith('status-')


def test_a_long_abstract_is_cut_in_the_subject():
    doc = SimpleNamespace(number_symbol='12-CV/VPTU', abstract='Về việc ' * 40)
    line = channel.headline(doc)
    assert line.startswith('12-CV/VPTU – Về việc') and line.endswith('…') and len(line) < 170


def test_without_an_smtp_server_nothing_is_sent_and_the_delivery_waits():
    with pytest.raises(Unreachable, match='SMTP not configured'):
        channel.send(SimpleNamespace(archive_settings=SimpleNamespace(mail=MailSettings(mail_from='a@b.example'))),
                     'c@d.example', b'')


def test_an_intake_that_is_off_missing_or_unknown_reads_nothing(tmp_path, caplog):
    def registry(where):
        return SimpleNamespace(archive_settings=SimpleNamespace(mail=MailSettings(intake=where)))
    caplog.set_level(logging.WARNING)
    assert channel.poll(registry('')) == 0
    assert channel.poll(registry(f'maildir:{tmp_path}/khong-co')) == 0
    assert channel.poll(registry('pop3://mail.example')) == 0
    assert 'no Maildir' in caplog.text and 'pop3://' in caplog.text
