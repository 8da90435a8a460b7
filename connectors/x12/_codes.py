"""Code lists for the qualifier elements that mappings select on, by X12 data element number.

Why: a mapping picks a date, a reference or a product id by its qualifier
(``qual(DTM, 'DTM01', '002')``). A mistyped qualifier ("02" for "002") is a valid expression
that is silently null on every message, so ``crossdock mappings check`` compares each literal
qualifier with these lists and warns about the ones it does not know.

The lists hold the codes distribution partners use (from the X12 004010/005010 element
dictionaries), not every code the standard defines: 374 alone has more than a thousand. A valid
code missing here costs a warning, never an error; add it with its meaning in one line.
N101 entity codes are here too, because mappings select N1 loops by them; the codes mappings
translate into canonical values (units of measure, 180 RDR dispositions and reasons, 214 AT7
statuses and reasons, 855 ACK statuses, and N101 again for the party role) are the mapping code
lists under ``mappings/_codelists/``.
"""

from __future__ import annotations

from typing import NamedTuple


class CodeList(NamedTuple):
    """One data element's codes and what each means."""

    element: int
    name: str
    codes: dict[str, str]


DATE_TIME_QUALIFIER = CodeList(
    374,
    "Date/Time Qualifier",
    {
        "001": "Cancel After",
        "002": "Delivery Requested",
        "003": "Invoice",
        "004": "Purchase Order",
        "007": "Effective",
        "010": "Requested Ship",
        "011": "Shipped",
        "017": "Estimated Delivery",
        "035": "Delivered",
        "036": "Expiration",
        "037": "Ship Not Before",
        "038": "Ship No Later",
        "050": "Received",
        "063": "Do Not Deliver After",
        "064": "Do Not Deliver Before",
        "067": "Current Schedule Delivery",
        "068": "Current Schedule Ship",
        "069": "Promised for Delivery",
        "097": "Transaction Creation",
        "106": "Required By",
        "118": "Requested Pick-up",
        "371": "Estimated Arrival Date",
    },
)

REFERENCE_QUALIFIER = CodeList(
    128,
    "Reference Identification Qualifier",
    {
        "11": "Account Number",
        "19": "Division Identifier",
        "2I": "Tracking Number",
        "AN": "Associated Purchase Orders",
        "AO": "Appointment Number",
        "BM": "Bill of Lading Number",
        "CN": "Carrier's Reference Number (PRO/Invoice)",
        "CO": "Customer Order Number",
        "CR": "Customer Reference Number",
        "CT": "Contract Number",
        "DP": "Department Number",
        "IA": "Internal Vendor Number",
        "IT": "Internal Customer Number",
        "IV": "Seller's Invoice Number",
        "LT": "Lot Number",
        "LU": "Location Number",
        "MR": "Merchandise Type Code",
        "PK": "Packing List Number",
        "PO": "Purchase Order Number",
        "RZ": "Returned Goods Authorization Number",
        "SE": "Serial Number",
        "SI": "Shipper's Identifying Number for Shipment (SID)",
        "VN": "Vendor Order Number",
        "ZZ": "Mutually Defined",
    },
)

PRODUCT_ID_QUALIFIER = CodeList(
    235,
    "Product/Service ID Qualifier",
    {
        "BP": "Buyer's Part Number",
        "CB": "Buyer's Catalog Number",
        "EN": "European Article Number (EAN) (2-5-5-1)",
        "IN": "Buyer's Item Number",
        "LT": "Lot Number",
        "MG": "Manufacturer's Part Number",
        "PI": "Purchaser's Item Code",
        "SK": "Stock Keeping Unit (SKU)",
        "SN": "Serial Number",
        "UA": "U.P.C./EAN Case Code (2-5-5)",
        "UK": "U.P.C./EAN Shipping Container Code (1-2-5-5-1)",
        "UP": "U.P.C. Consumer Package Code (1-5-5-1)",
        "VC": "Vendor's (Seller's) Catalog Number",
        "VN": "Vendor's (Seller's) Item Number",
        "VP": "Vendor's (Seller's) Part Number",
    },
)

MARKS_QUALIFIER = CodeList(
    88,
    "Marks and Numbers Qualifier",
    {
        "CP": "Carrier-Assigned Package ID Number",
        "GM": "SSCC-18 and Application Identifier",
        "UC": "U.P.C. Shipping Container Code",
    },
)

ITEM_DESCRIPTION_TYPE = CodeList(
    349,
    "Item Description Type",
    {"F": "Free-form", "S": "Structured (From Industry Code List)", "X": "Semi-structured"},
)

ENTITY_IDENTIFIER = CodeList(
    98,
    "Entity Identifier Code",
    {
        "BS": "Bill and Ship To",
        "BT": "Bill-to-Party",
        "BY": "Buying Party (Purchaser)",
        "CA": "Carrier",
        "CN": "Consignee",
        "DA": "Delivery Address",
        "MF": "Manufacturer of Goods",
        "OB": "Ordered By",
        "PE": "Payee",
        "PR": "Payer",
        "RE": "Party to receive Commercial Invoice Remittance",
        "RI": "Remit To",
        "SE": "Selling Party",
        "SF": "Ship From",
        "SH": "Shipper",
        "SO": "Sold To If Different From Bill To",
        "ST": "Ship To",
        "SU": "Supplier/Manufacturer",
        "VN": "Vendor",
        "WH": "Warehouse",
        "Z7": "Mark-for Party",
    },
)

# which qualifier element of which segment takes which list (reference designators)
QUALIFIER_ELEMENTS: dict[str, CodeList] = {
    "DTM01": DATE_TIME_QUALIFIER,
    "REF01": REFERENCE_QUALIFIER,
    "N901": REFERENCE_QUALIFIER,
    "L1102": REFERENCE_QUALIFIER,
    "MAN01": MARKS_QUALIFIER,
    "PID01": ITEM_DESCRIPTION_TYPE,
    # an N1 loop is picked by its entity: qual(N1_loop, 'N1.N101', 'ST')
    "N101": ENTITY_IDENTIFIER,
    **{f"PO1{i:02d}": PRODUCT_ID_QUALIFIER for i in range(6, 25, 2)},
    **{f"IT1{i:02d}": PRODUCT_ID_QUALIFIER for i in range(6, 25, 2)},
    **{f"LIN{i:02d}": PRODUCT_ID_QUALIFIER for i in range(2, 31, 2)},
    **{f"SLN{i:02d}": PRODUCT_ID_QUALIFIER for i in range(9, 28, 2)},
}


def qualifier_list(designator: str) -> CodeList | None:
    """The code list of a qualifier element (``"DTM01"``), or None when it has none here."""
    return QUALIFIER_ELEMENTS.get(designator)


__all__ = ["QUALIFIER_ELEMENTS", "CodeList", "qualifier_list"]
