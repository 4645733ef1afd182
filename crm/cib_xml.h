// Pacemaker CIB XML <-> the typed model in crm/cib.h.
//
// parse_cib_xml reads a whole <cib> document (configuration and, when present,
// status); parse_configuration_xml reads a bare <configuration> element, as
// crmsh's `show xml` and `load update` exchange it. Errors are values whose
// message starts "ORIGIN:LINE:COL: " followed by the element's path
// (cib/configuration/resources/primitive[@id='db']) and what was expected.
// Ids must be unique across the configuration.
//
// The writers produce Pacemaker-shaped XML: two-space indentation, sections in
// the order Pacemaker writes them (crm_config, nodes, resources, constraints,
// rsc_defaults, op_defaults, then the untyped sections), known attributes first
// and then the element's extra attributes in their original order.
// Free functions over values; no state, safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "crm/cib.h"

namespace quorate::crm {

Result<Cib> parse_cib_xml(std::string_view text, const std::string& origin);
Result<Configuration> parse_configuration_xml(std::string_view text, const std::string& origin);

std::string write_cib_xml(const Cib& cib);
std::string write_configuration_xml(const Configuration& configuration);

// The CIB document `original` with its <cib> start tag and <configuration>
// element replaced by `cib`'s and every other byte (the status section,
// comments, layout) kept as it was. When `original` is not a CIB with one
// <configuration>, the whole of `cib` written as write_cib_xml does.
std::string replace_configuration_xml(std::string_view original, const Cib& cib);

// The element a typed resource / attribute set is written as (for callers
// that build untyped trees holding one, such as a <bundle>).
XmlElement resource_xml(const Resource& resource);
XmlElement attr_set_xml(const AttrSet& set);

// Serializes an untyped element tree with the same layout as the writers.
// `depth` is the indentation level of `element`.
std::string write_xml_element(const XmlElement& element, int depth = 0);

}  // namespace quorate::crm
