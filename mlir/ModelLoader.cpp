//===- ModelLoader.cpp - Load and check TOSA models -----------------------===//

#include "mlir/ModelLoader.h"

#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/TypeSwitch.h"

namespace goodhart {

void registerGoodhartDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::func::FuncDialect, mlir::tosa::TosaDialect>();
}

std::string locationString(mlir::Location loc) {
  std::string fileLoc, name;
  loc->walk([&](mlir::Location inner) {
    if (auto f = llvm::dyn_cast<mlir::FileLineColLoc>(inner)) {
      if (fileLoc.empty())
        fileLoc = (f.getFilename().getValue() + ":" + llvm::Twine(f.getLine()) +
                   ":" + llvm::Twine(f.getColumn()))
                      .str();
    } else if (auto n = llvm::dyn_cast<mlir::NameLoc>(inner)) {
      if (name.empty())
        name = n.getName().str();
    }
    return mlir::WalkResult::advance();
  });
  return fileLoc.empty() ? name : fileLoc;
}

DiagnosticPrinter::DiagnosticPrinter(mlir::MLIRContext &context,
                                     std::string file, llvm::raw_ostream &os)
    : context(context), file(std::move(file)), os(os) {
  handlerId =
      context.getDiagEngine().registerHandler([this](mlir::Diagnostic &diag) {
        auto print = [&](mlir::Diagnostic &d, llvm::StringRef severity) {
          std::string where = locationString(d.getLocation());
          bool hasFile = where.find(':') != std::string::npos &&
                         where.find(".mlir") != std::string::npos;
          if (hasFile)
            this->os << where << ": ";
          else if (!where.empty())
            this->os << this->file << ": " << where << ": ";
          else
            this->os << this->file << ": ";
          this->os << severity << ": " << d.str() << "\n";
        };
        llvm::StringRef severity = "note";
        switch (diag.getSeverity()) {
        case mlir::DiagnosticSeverity::Error:
          severity = "error";
          ++errors;
          break;
        case mlir::DiagnosticSeverity::Warning:
          severity = "warning";
          break;
        case mlir::DiagnosticSeverity::Remark:
          severity = "remark";
          break;
        default:
          break;
        }
        print(diag, severity);
        for (mlir::Diagnostic &note : diag.getNotes())
          print(note, "note");
        this->os.flush();
        return mlir::success();
      });
}

DiagnosticPrinter::~DiagnosticPrinter() {
  context.getDiagEngine().eraseHandler(handlerId);
}

mlir::OwningOpRef<mlir::ModuleOp> parseModelFile(mlir::MLIRContext &context,
                                                 llvm::StringRef path) {
  mlir::ParserConfig config(&context, /*verifyAfterParse=*/true);
  // The MLIR 22 parser can fail without a diagnostic (an attribute name
  // that starts with a digit, `{9stride = ...}`): note whether it reported
  // an error, passing every diagnostic on to the caller's handler.
  bool reported = false;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  {
    mlir::ScopedDiagnosticHandler noteErrors(
        &context, [&](mlir::Diagnostic &diag) {
          reported |= diag.getSeverity() == mlir::DiagnosticSeverity::Error;
          return mlir::failure();
        });
    module = mlir::parseSourceFile<mlir::ModuleOp>(path, config);
  }
  if (!module) {
    if (!reported)
      mlir::emitError(mlir::UnknownLoc::get(&context))
          << "not a valid MLIR file (the parser stopped without saying where)";
    return nullptr;
  }
  if (mlir::failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

mlir::func::FuncOp findEntryFunction(mlir::ModuleOp module,
                                     const LoadOptions &options) {
  llvm::SmallVector<mlir::func::FuncOp> publics;
  for (auto func : module.getOps<mlir::func::FuncOp>()) {
    if (!options.entry.empty() && func.getSymName() == options.entry) {
      if (func.isExternal()) {
        func.emitError() << "entry function '" << options.entry
                         << "' has no body";
        return nullptr;
      }
      return func;
    }
    if (func.isPublic() && !func.isExternal())
      publics.push_back(func);
  }
  if (!options.entry.empty()) {
    module.emitError() << "no function named '" << options.entry
                       << "' (--entry)";
    return nullptr;
  }
  if (publics.size() == 1)
    return publics.front();
  if (publics.empty()) {
    module.emitError() << "the module has no public function with a body";
    return nullptr;
  }
  std::string names;
  for (auto f : publics)
    names += (names.empty() ? "" : ", ") + f.getSymName().str();
  module.emitError() << "the module has " << publics.size()
                     << " public functions (" << names
                     << "): choose one with --entry";
  return nullptr;
}

namespace {

mlir::LogicalResult
checkType(mlir::Type type, const LoadOptions &options,
          llvm::function_ref<mlir::InFlightDiagnostic()> emit) {
  if (llvm::isa<mlir::tosa::shapeType>(type))
    return mlir::success();
  auto tensor = llvm::dyn_cast<mlir::TensorType>(type);
  if (!tensor)
    return emit() << "has type " << type << ", goodhart handles only tensors";
  if (!tensor.hasRank())
    return emit() << "has an unranked tensor " << type
                  << ": goodhart needs static shapes";
  if (!tensor.hasStaticShape())
    return emit() << "has a dynamic dimension in " << type
                  << ": goodhart needs static shapes (export with fixed "
                     "batch and sequence sizes)";
  mlir::Type element = tensor.getElementType();
  if (!element.isIntOrFloat())
    return emit() << "has element type " << element
                  << ", goodhart handles integer and float tensors";
  int64_t bits = element.getIntOrFloatBitWidth();
  // Checked: getNumElements() wraps and the product could overflow int64.
  int64_t bytes = std::max<int64_t>(1, bits / 8);
  bool overflow = false;
  for (int64_t dim : tensor.getShape())
    overflow |= __builtin_mul_overflow(bytes, dim, &bytes);
  if (overflow || bytes > options.maxTensorBytes)
    return emit() << "has a tensor " << type << " of "
                  << (overflow ? "over 2^63" : std::to_string(bytes))
                  << " bytes, over the limit of " << options.maxTensorBytes
                  << " bytes (--max-tensor-bytes)";
  return mlir::success();
}

} // namespace

mlir::LogicalResult checkModelSupported(mlir::func::FuncOp func,
                                        const LoadOptions &options) {
  for (auto [i, arg] : llvm::enumerate(func.getArguments()))
    if (mlir::failed(checkType(arg.getType(), options, [&, i = i] {
          return func.emitError()
                 << "argument " << i << " of '" << func.getSymName() << "' ";
        })))
      return mlir::failure();
  mlir::WalkResult result = func.getBody().walk([&](mlir::Operation *op) {
    if (llvm::isa<mlir::func::ReturnOp>(op))
      return mlir::WalkResult::advance();
    if (!llvm::isa<mlir::tosa::TosaDialect>(op->getDialect())) {
      op->emitError() << "op '" << op->getName()
                      << "' is outside TOSA: goodhart models use only the "
                         "func and tosa dialects";
      return mlir::WalkResult::interrupt();
    }
    if (!isLowerableOp(op)) {
      op->emitError() << "'" << op->getName()
                      << "' is not supported by goodhart's plan lowering";
      return mlir::WalkResult::interrupt();
    }
    for (mlir::Type type : op->getResultTypes())
      if (mlir::failed(checkType(type, options, [&] {
            return op->emitError() << "'" << op->getName() << "' result ";
          })))
        return mlir::WalkResult::interrupt();
    return mlir::WalkResult::advance();
  });
  return mlir::failure(result.wasInterrupted());
}

mlir::FailureOr<mlir::func::FuncOp>
loadModel(mlir::MLIRContext &context, llvm::StringRef path,
          const LoadOptions &options,
          mlir::OwningOpRef<mlir::ModuleOp> &moduleOut) {
  moduleOut = parseModelFile(context, path);
  if (!moduleOut)
    return mlir::failure();
  mlir::func::FuncOp entry = findEntryFunction(*moduleOut, options);
  if (!entry || mlir::failed(checkModelSupported(entry, options)))
    return mlir::failure();
  return entry;
}

} // namespace goodhart
