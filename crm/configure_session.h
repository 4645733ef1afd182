// A `crm configure` session over a CIB: the state behind crmsh's configure
// level, without the I/O (cli/crm.cc reads input and files and writes the CIB
// file).
//
// The session starts from a CIB; its configuration becomes the language's
// objects (cib_to_lang.h). Commands change the objects one at a time — a
// command in error changes nothing — and `load update|replace` changes them
// all or none. commit() builds the new configuration (lang_to_cib.h),
// validates it as a whole (cib_validate.h) and, only when there is no error,
// returns the CIB to write and makes it the session's new base.
//
// Objects a session did not change keep their typed elements from the CIB as
// they were (ids, attributes the language cannot say, sections it does not
// edit); changed and new objects get crmsh's generated ids. The status section
// is never touched.
//
// Not thread-safe; a value type (copyable).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crm/cib.h"
#include "crm/cib_validate.h"
#include "crm/lang_ast.h"

namespace quorate::crm {

class ConfigureSession {
 public:
  // `origin` names the CIB in messages about objects that came from it.
  ConfigureSession(Cib base, std::string origin);

  // A definition or an edit (delete, rename, modgroup, monitor). Errors are
  // "origin:line:col: ..."; on an error nothing changes.
  std::vector<Error> execute(const lang::Command& command);

  enum class LoadMode { kUpdate, kReplace };
  // crm syntax, or CIB / <configuration> XML when the text starts with '<'.
  // update: objects with a known id replace the existing ones (property sets
  // merge), others are added; replace: the text becomes the configuration.
  std::vector<Error> load(LoadMode mode, std::string_view text, const std::string& origin);

  // Removes every object (nodes too when `nodes`).
  void erase(bool nodes);

  // `show` text of everything, or of the objects named (each must exist).
  Result<std::string> show(const std::vector<std::string>& ids) const;
  // The CIB without status, as `show xml` prints it; with ids, only the
  // sections' elements that hold them.
  Result<std::string> show_xml(const std::vector<std::string>& ids) const;

  // The configuration a commit would write (not validated).
  Configuration configuration() const;
  // Its findings; messages prefixed with where the object was last changed.
  std::vector<Finding> verify() const;
  // "origin:line:col: " of the command that last changed `object`, or
  // "origin: " for an object from the CIB.
  std::string where(const std::string& object) const;

  // Something changed since the start or the last commit.
  bool pending() const { return pending_; }

  // Validates and, without errors, returns the CIB to write (epoch + 1 when
  // the configuration changed) and makes it the new base. The errors
  // otherwise, each prefixed with where().
  Result<Cib> commit();

  const Cib& base() const { return base_; }
  const std::vector<lang::Command>& objects() const { return objects_; }

 private:
  void reset_from_base();
  Status check_supported() const;

  Cib base_;
  std::string origin_;
  std::vector<lang::Command> base_objects_;
  std::vector<lang::Command> objects_;
  std::map<std::string, std::string> where_;  // object id → "origin:line:col: "
  bool pending_ = false;
};

// Puts containers after the objects they hold (apply_commands needs that),
// moving as little as possible.
void children_first(std::vector<lang::Command>& objects);

}  // namespace quorate::crm
