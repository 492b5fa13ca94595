// Writes what lesson 15 reads, small, so that its tests need neither the system's French
// catalogs nor Debian's dictionary: one gettext MO catalog per base package (coreutils.mo, ...)
// holding a few English → French messages, and a dictd dictionary of their words.
//   write_message_catalogs FOLDER     → FOLDER/<package>.mo, FOLDER/eng-fra.index, FOLDER/eng-fra.dict
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "nn/message_pairs.hpp"
#include "nn/mo_test_util.hpp"

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// "invalid file" → "fichier incorrect", "cannot open file" → "impossible d'ouvrir le fichier", ...
Pairs messages() {
  const Pairs adjectives = {{"invalid", "incorrect"}, {"missing", "manquant"}, {"empty", "vide"}};
  const Pairs nouns = {{"file", "fichier"},
                       {"line", "ligne"},
                       {"option", "option"},
                       {"argument", "argument"},
                       {"directory", "répertoire"}};
  Pairs out;
  for (const auto& [noun, nom] : nouns) {
    for (const auto& [adjective, adjectif] : adjectives)
      out.push_back({adjective + " " + noun, nom + " " + adjectif});
    out.push_back({"cannot open " + noun, "impossible d'ouvrir le " + nom});
    out.push_back({"the " + noun + " is invalid", "le " + nom + " est incorrect"});
  }
  return out;
}

// dictd's base 64 numbers: digits A-Z a-z 0-9 + /, most significant first.
std::string base64(size_t n) {
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  do s.insert(s.begin(), digits[n % 64]), n /= 64;
  while (n > 0);
  return s;
}

void write(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_message_catalogs FOLDER\n");
    return 2;
  }
  const std::filesystem::path folder = argv[1];
  std::filesystem::create_directories(folder);
  const Pairs all = messages();
  const std::vector<std::string>& packages = glimpse::nn::base_catalog_names();
  for (size_t p = 0; p < packages.size(); ++p) {
    Pairs entries = {{"", "Content-Type: text/plain; charset=UTF-8\n"}};  // the header entry
    for (size_t i = p; i < all.size(); i += packages.size()) entries.push_back(all[i]);
    std::sort(entries.begin(), entries.end());  // msgfmt sorts the originals
    write(folder / (packages[p] + ".mo"), glimpse::test::mo_bytes(entries));
  }
  const Pairs words = {{"argument", "argument"},
                       {"directory", "répertoire, dossier"},
                       {"empty", "vide"},
                       {"file", "fichier, dossier"},
                       {"invalid", "incorrect, non valide"},
                       {"line", "ligne"},
                       {"missing", "manquant"},
                       {"open", "ouvrir"},
                       {"option", "option"}};
  std::string index, data;
  for (const auto& [headword, translations] : words) {
    const std::string entry = headword + "\n" + translations + "\n";
    index += headword + "\t" + base64(data.size()) + "\t" + base64(entry.size()) + "\n";
    data += entry;
  }
  write(folder / "eng-fra.index", index);
  write(folder / "eng-fra.dict", data);
  return 0;
}
