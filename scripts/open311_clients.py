"""Tanggap's /open311/v2 through existing third-party Open311 clients from PyPI.

- `georeport` (Python 3, read-only): lists the services and reads requests back, in JSON and
  in XML (parsed by the client with xmltodict).
- `open311` (Code for America's wrapper, the PyPI client that creates requests): files a
  request with `post_service_request`. It was written for Python 2; `load_open311()` imports
  its own modules unchanged under Python 3 and hands its `urlopen` bytes instead of a str.

Usage: python open311_clients.py BASE_URL API_KEY JURISDICTION
"""
import importlib.util
import os
import sys
import types
import urllib.request

from georeport import GeoReport


def load_open311():
    root = os.path.dirname(importlib.util.find_spec("open311").origin)
    sys.path[:0] = [os.path.join(root, "api"), os.path.join(root, "api", "xml2dict")]

    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    api = load("api.api", os.path.join(root, "api", "api.py"))
    package = types.ModuleType("api")
    package.__path__ = []
    package.API = api.API
    package.api = api
    sys.modules["api"] = package
    wrapper = load("open311_wrapper", os.path.join(root, "open311.py"))
    wrapper.urlopen = lambda url, data=None: urllib.request.urlopen(
        url, data.encode() if isinstance(data, str) else data
    )
    return wrapper.Open311


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail and not ok else ""))
    if not ok:
        sys.exit(1)


def main():
    base, key, jurisdiction = sys.argv[1:4]
    as_json = GeoReport(base, jurisdiction=jurisdiction, api_key=key)
    as_xml = GeoReport(base, jurisdiction=jurisdiction, api_key=key, output_format="xml")

    services = as_json.get_service_list()
    codes = [s["service_code"] for s in services]
    check("georeport lists the services (JSON)", "jalan-jembatan" in codes, codes)
    xml_codes = [s["service_code"] for s in as_xml.get_service_list()]
    check("georeport lists the same services (XML)", xml_codes == codes, xml_codes)
    definition = as_json.get_service_definition("jalan-jembatan")
    check(
        "georeport reads a service definition",
        definition["service_code"] == "jalan-jembatan" and definition["attributes"],
        definition,
    )

    Open311 = load_open311()
    client = Open311(endpoint=base, api_key=key, jurisdiction=jurisdiction, format="json")
    created = client.post_service_request(
        service_code="jalan-jembatan",
        lat="-7.00512",
        long="110.43811",
        address_string="Jl. Setiabudi, Banyumanik, Semarang",
        description="Jalan berlubang dalam di tikungan, berbahaya bagi pengendara motor malam hari.",
        email="warga.open311@example.id",
        first_name="Warga",
        last_name="Open311",
    )
    request_id = created[0]["service_request_id"]
    check("open311 creates a request", request_id.startswith("LG-") and created[0]["token"], created)
    check("the reporter's details stay private", "warga.open311" not in str(created), created)

    one = as_json.get_service_request(request_id)
    check("georeport reads it back (JSON)", one["service_request_id"] == request_id, one)
    check("it is open, in its service", (one["status"], one["service_code"]) == ("open", "jalan-jembatan"), one)
    xml = as_xml.get_service_request(request_id)
    check("georeport reads it back (XML)", xml["service_request_id"] == request_id, xml)
    check("JSON and XML agree", (xml["status"], xml["description"]) == (one["status"], one["description"]), xml)
    by_token = client.call_api(f"tokens/{created[0]['token']}.json", jurisdiction_id=jurisdiction)
    check("its token names it", by_token[0]["service_request_id"] == request_id, by_token)
    print(f"Open311 clients: {len(codes)} services, request {request_id} created and read back")


if __name__ == "__main__":
    main()
