"""Code lists for the qualifier elements that mappings select on, by X12 data element number.

Why: a mapping picks a date, a reference or a product id by its qualifier
(``qual(DTM, 'DTM01', '002')``). A mistyped qualifier ("02" for "002") is a valid expression
that is silently null on every message, so ``crossdock mappings check`` compares each literal
qualifier with these lists and warns about the ones it does not know.

The lists hold the codes distribution partners use (from the X12 004010/005010 element
dictionaries), not every code the standard defines: 374 alone has more than a thousand. A valid
code missing here costs a warning, never an error; add it with its meaning in one line.
N101 entity codes are here too, because mappings select N1 loops by them.

The coded elements whose values mappings translate into canonical values (units of measure, 180
RDR dispositions and reasons, 214 AT7 statuses and reasons, 855 BAK/ACK statuses, 856 HL levels)
have their lists here as well (``CODED_ELEMENTS``): they are what the element takes, and the
mapping code lists under ``mappings/_codelists/`` say what each means canonically. A test holds
the two together, so a mapping list never translates (or writes) a code the element does not have.
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
        "PF": "Party to Receive Freight Bill",
        "PR": "Payer",
        "RE": "Party to receive Commercial Invoice Remittance",
        "RI": "Remit To",
        "RT": "Return Address",
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

UNIT_OF_MEASURE = CodeList(
    355,
    "Unit or Basis for Measurement Code",
    {
        "BG": "Bag",
        "BX": "Box",
        "CA": "Case",
        "CM": "Centimeter",
        "CS": "Cassette",
        "CT": "Carton",
        "DZ": "Dozen",
        "EA": "Each",
        "FT": "Foot",
        "GA": "Gallon",
        "GR": "Gram",
        "IN": "Inch",
        "KG": "Kilogram",
        "LB": "Pound",
        "LT": "Liter",
        "MR": "Meter",
        "OZ": "Ounce - Av",
        "PK": "Package",
        "PL": "Pallet/Unit Load",
        "PR": "Pair",
        "RL": "Roll",
        "UN": "Unit",
    },
)

RETURN_DISPOSITION = CodeList(
    1292,
    "Returns Disposition Code",
    {
        "CR": "Consumer Return to Vendor",
        "DI": "Dispose",
        "KR": "Keep and Repair",
        "KA": "Keep with Allowance",
        "MW": "Manufacturer Warranty Service",
        "PA": "Partially Authorized",
        "RA": "Return with Authorization Number",
        "RF": "Return for Factory Repair",
        "RN": "Return without Authorization Number",
        "RP": "Return Authorization Pending",
        "RD": "Request Denied",
        "RT": "Ship to Third Party",
        "SC": "Ship to Third Party for Charitable Contribution",
        "SD": "Ship to Third Party for Disposal",
    },
)

RETURN_REASON = CodeList(
    1293,
    "Return Request Reason Code",
    {
        "BC": "Beyond Code Date",
        "CO": "Customer Ordering Error",
        "CV": "Color Variance",
        "DA": "Damaged Product",
        "DI": "Discontinued Product",
        "DM": "Defective Merchandise or Store Inspection",
        "DP": "Defective Packaging",
        "DR": "Defective Merchandise or Returned by Consumer",
        "DT": "Damaged In Transit",
        "EI": "Excess Inventory",
        "EO": "End of Season",
        "EW": "Excessive Wear",
        "LP": "Label Problem",
        "NA": "Not as Expected",
        "PF": "Poor Fit",
        "PR": "Product Recall",
        "PS": "Product Spoiled",
        "PW": "Poor Workmanship",
        "RE": "Recall",
        "SD": "Short-Dated Product",
        "SP": "Shipped past Cancel Date",
        "SR": "Stock Reduction Agreement",
        "ST": "Style Problem",
        "WG": "Wrong Goods or Not Ordered",
    },
)

SHIPMENT_STATUS = CodeList(
    1650,
    "Shipment Status Code",
    {
        "A3": "Shipment Returned to Shipper",
        "A7": "Refused by Consignee",
        "A9": "Shipment Damaged",
        "AF": "Carrier Departed Pick-up Location with Shipment",
        "AG": "Estimated Delivery",
        "AH": "Attempted Delivery",
        "AI": "Shipment has been Reconsigned",
        "AJ": "Tendered for Delivery",
        "AM": "Loaded on Truck",
        "AN": "Diverted to Air Carrier",
        "AP": "Delivery Not Completed",
        "AR": "Rail Arrival at Destination Intermodal Ramp",
        "AV": "Available for Delivery",
        "B6": "Estimated to Arrive at Carrier Terminal",
        "C1": "Estimated to Depart Terminal Location",
        "CA": "Shipment Cancelled",
        "CP": "Completed Loading at Pick-up Location",
        "D1": "Completed Unloading at Delivery Location",
        "I1": "In-Gate",
        "J1": "Delivered to Connecting Line",
        "K1": "Arrived at Customs",
        "OA": "Out-Gate",
        "P1": "Departed Terminal Location",
        "PR": "U.S. Customs Hold at In-Bond Location",
        "R1": "Received from Prior Carrier",
        "RL": "Rail Departure from Origin Intermodal Ramp",
        "S1": "Trailer Spotted at Consignee's Location",
        "SD": "Shipment Delayed",
        "X1": "Arrived at Delivery Location",
        "X2": "Estimated Date and/or Time of Arrival at Consignee's Location",
        "X3": "Arrived at Pick-up Location",
        "X4": "Arrived at Terminal Location",
        "X5": "Arrived at Delivery Location Loading Dock",
        "X6": "En Route to Delivery Location",
        "X8": "Arrived at Pick-up Location Loading Dock",
        "XB": "Shipment Acknowledged",
    },
)

STATUS_REASON = CodeList(
    1651,
    "Shipment Status or Appointment Reason Code",
    {
        "A1": "Missed Delivery",
        "A2": "Incorrect Address",
        "A5": "Unable to Locate",
        "AE": "Restricted Articles Unacceptable",
        "AF": "Accident",
        "AI": "Mechanical Breakdown",
        "AK": "Damaged, Rewrapped in Hub",
        "AN": "Holiday - Closed",
        "AO": "Weather or Natural Disaster Related",
        "AQ": "Recipient Unavailable - Delivery Delayed",
        "AR": "Improper International Paperwork",
        "AS": "Hold Due to Customs Documentation Problems",
        "AU": "Civil Event Related Delay",
        "AW": "Past Cut-off Time",
        "AY": "Missed Pick-up",
        "B1": "Consignee Closed",
        "B4": "Held for Payment",
        "BC": "Missing Documents",
        "BE": "Road Conditions",
        "BH": "Insufficient Time to Complete Delivery",
        "BS": "Refused by Customer",
        "BT": "Returned to Shipper",
        "C2": "Credit Hold",
        "D2": "Driver Not Available",
        "P1": "Processing Delay",
    },
)

LINE_ITEM_STATUS = CodeList(
    668,
    "Line Item Status Code",
    {
        "AC": "Item Accepted and Shipped",
        "BP": "Item Accepted - Partial Shipment, Balance Backordered",
        "DR": "Item Accepted - Date Rescheduled",
        "IA": "Item Accepted",
        "IB": "Item Backordered",
        "IC": "Item Accepted - Changes Made",
        "ID": "Item Deleted",
        "IP": "Item Accepted - Price Changed",
        "IQ": "Item Accepted - Quantity Changed",
        "IR": "Item Rejected",
        "IS": "Item Accepted - Substitution Made",
        "R1": "Item Rejected, Not a Contract Item",
        "R2": "Item Rejected, Invalid Item Product Number",
        "R3": "Item Rejected, Invalid Unit of Issue",
        "R4": "Item Rejected, Contract Item not Available",
    },
)

ACKNOWLEDGMENT_TYPE = CodeList(
    587,
    "Acknowledgment Type",
    {
        "AC": "Acknowledge - With Detail and Change",
        "AD": "Acknowledge - With Detail, No Change",
        "AE": "Acknowledge - With Exception Detail Only",
        "AK": "Acknowledge - No Detail or Change",
        "AP": "Acknowledge - Product Replenishment",
        "AT": "Acknowledge - With Detail, No Change",
        "RD": "Reject with Detail",
        "RF": "Reject with Exception Detail Only",
        "RJ": "Rejected - No Detail",
    },
)

HIERARCHICAL_LEVEL = CodeList(
    735,
    "Hierarchical Level Code",
    {
        "I": "Item",
        "O": "Order",
        "P": "Pack",
        "Q": "Inner Pack",
        "S": "Shipment",
        "T": "Shipping Tare",
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


# the coded (non-qualifier) elements whose values mappings translate into canonical values
CODED_ELEMENTS: dict[str, CodeList] = {
    **dict.fromkeys(
        ("PO103", "IT103", "SN103", "SN106", "ACK03", "PO403", "BLI04"), UNIT_OF_MEASURE
    ),
    "RDR01": RETURN_DISPOSITION,
    "RDR02": RETURN_REASON,
    "AT701": SHIPMENT_STATUS,
    "AT702": STATUS_REASON,
    "ACK01": LINE_ITEM_STATUS,
    "BAK02": ACKNOWLEDGMENT_TYPE,
    "HL03": HIERARCHICAL_LEVEL,
}


def element_codes(designator: str) -> CodeList | None:
    """The code list of any element we know one for: a qualifier or a coded value."""
    return QUALIFIER_ELEMENTS.get(designator) or CODED_ELEMENTS.get(designator)


def qualifier_list(designator: str) -> CodeList | None:
    """The code list of a qualifier element (``"DTM01"``), or None when it has none here."""
    return QUALIFIER_ELEMENTS.get(designator)


__all__ = ["CODED_ELEMENTS", "QUALIFIER_ELEMENTS", "CodeList", "element_codes", "qualifier_list"]
