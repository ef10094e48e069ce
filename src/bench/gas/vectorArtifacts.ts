import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type FunctionFragment, Interface, type InterfaceAbi, type ParamType } from "ethers";

/**
 * Connext Vector's compiled contracts, read from the artifacts (ABI + bytecode JSON) that the
 * `@connext/vector-contracts` npm package ships (a devDependency). Nothing is compiled; every
 * function and struct the bench relies on is checked here, so a different package version fails
 * with a message naming what is missing instead of a revert deep in a run.
 */
export const VECTOR_PACKAGE = "@connext/vector-contracts";

const ARTIFACT_PATHS = {
  ChannelMastercopy: "artifacts/src.sol/ChannelMastercopy.sol/ChannelMastercopy.json",
  ChannelFactory: "artifacts/src.sol/ChannelFactory.sol/ChannelFactory.json",
  TransferRegistry: "artifacts/src.sol/TransferRegistry.sol/TransferRegistry.json",
  HashlockTransfer:
    "artifacts/src.sol/transferDefinitions/HashlockTransfer.sol/HashlockTransfer.json",
} as const;

export type VectorContractName = keyof typeof ARTIFACT_PATHS;

const BALANCE = "(uint256[2],address[2])";
const CHANNEL_STATE = `(address,address,address,address[],${BALANCE}[],uint256[],uint256[],uint256[],uint256,uint256,bytes32)`;
const TRANSFER_STATE = `(address,bytes32,address,address,address,address,${BALANCE},uint256,bytes32)`;
const WITHDRAW_DATA = "(address,address,address,uint256,uint256,address,bytes)";

/** The functions the bench calls, as canonical signatures, per contract. */
const REQUIRED_FUNCTIONS: Record<VectorContractName, string[]> = {
  ChannelMastercopy: [
    `disputeChannel(${CHANNEL_STATE},bytes,bytes)`,
    `defundChannel(${CHANNEL_STATE},address[],uint256[])`,
    `disputeTransfer(${TRANSFER_STATE},bytes32[])`,
    `defundTransfer(${TRANSFER_STATE},bytes,bytes,bytes)`,
    `withdraw(${WITHDRAW_DATA},bytes,bytes)`,
    "exit(address,address,address)",
    "getExitableAmount(address,address)",
    "getChannelDispute()",
  ],
  ChannelFactory: [
    "createChannelAndDepositAlice(address,address,address,uint256)",
    "getChannelAddress(address,address)",
  ],
  TransferRegistry: ["addTransferDefinition((string,address,string,string,bytes))"],
  HashlockTransfer: ["getRegistryInformation()", "resolve(bytes,bytes,bytes)"],
};

const REQUIRED_CONSTRUCTORS: Partial<Record<VectorContractName, string>> = {
  ChannelFactory: "(address,uint256)",
};

/**
 * The struct field names the bench fills by name (ethers encodes tuples from objects by name):
 * `[function, argument index, path of component names, expected names]`.
 */
const REQUIRED_FIELDS: Array<[string, number, string[], string[]]> = [
  [
    "disputeChannel",
    0,
    [],
    [
      "channelAddress",
      "alice",
      "bob",
      "assetIds",
      "balances",
      "processedDepositsA",
      "processedDepositsB",
      "defundNonces",
      "timeout",
      "nonce",
      "merkleRoot",
    ],
  ],
  ["disputeChannel", 0, ["balances"], ["amount", "to"]],
  [
    "disputeTransfer",
    0,
    [],
    [
      "channelAddress",
      "transferId",
      "transferDefinition",
      "initiator",
      "responder",
      "assetId",
      "balance",
      "transferTimeout",
      "initialStateHash",
    ],
  ],
  ["disputeTransfer", 0, ["balance"], ["amount", "to"]],
  [
    "withdraw",
    0,
    [],
    ["channelAddress", "assetId", "recipient", "amount", "nonce", "callTo", "callData"],
  ],
];

export interface VectorArtifact {
  name: VectorContractName;
  abi: InterfaceAbi;
  bytecode: string;
  iface: Interface;
}

export interface VectorArtifacts {
  version: string;
  contracts: Record<VectorContractName, VectorArtifact>;
  /** The ABI types of Vector's structs, from its own ABI: what its contracts `abi.encode`. */
  types: { channelState: ParamType; transferState: ParamType; withdrawData: ParamType };
}

export class VectorArtifactError extends Error {}

/** Where the package is installed, or a clear error saying how to install it. */
export function vectorPackageDir(): string {
  try {
    return dirname(Bun.resolveSync(`${VECTOR_PACKAGE}/package.json`, import.meta.dir));
  } catch {
    throw new VectorArtifactError(
      `${VECTOR_PACKAGE} is not installed: run \`npm install\` (it is a devDependency)`,
    );
  }
}

/** Loads and checks the four artifacts the bench deploys. */
export function loadVectorArtifacts(packageDir = vectorPackageDir()): VectorArtifacts {
  let version = "unknown";
  try {
    version = String(readJson(join(packageDir, "package.json")).version ?? version);
  } catch {
    // no package.json: the artifacts' own checks below say what is missing
  }
  const contracts = {} as Record<VectorContractName, VectorArtifact>;
  const problems: string[] = [];
  for (const name of Object.keys(ARTIFACT_PATHS) as VectorContractName[]) {
    const path = join(packageDir, ARTIFACT_PATHS[name]);
    let json: Record<string, unknown>;
    try {
      json = readJson(path);
    } catch (error) {
      problems.push(`${name}: cannot read ${path}: ${(error as Error).message}`);
      continue;
    }
    const artifact = checkArtifact(name, json, problems);
    if (artifact) contracts[name] = artifact;
  }
  if (problems.length > 0) {
    throw new VectorArtifactError(
      `${VECTOR_PACKAGE}@${version}: its artifacts lack what the gas bench needs:\n  ${problems.join("\n  ")}`,
    );
  }
  const mastercopy = contracts.ChannelMastercopy.iface;
  return {
    version,
    contracts,
    types: {
      channelState: firstInput(mastercopy, "disputeChannel"),
      transferState: firstInput(mastercopy, "disputeTransfer"),
      withdrawData: firstInput(mastercopy, "withdraw"),
    },
  };
}

function checkArtifact(
  name: VectorContractName,
  json: Record<string, unknown>,
  problems: string[],
): VectorArtifact | undefined {
  const { abi, bytecode, linkReferences } = json;
  if (!Array.isArray(abi)) {
    problems.push(`${name}: no "abi" array`);
    return undefined;
  }
  if (typeof bytecode !== "string" || !/^0x[0-9a-fA-F]{2,}$/.test(bytecode)) {
    problems.push(`${name}: no deployable "bytecode"`);
    return undefined;
  }
  if (linkReferences && Object.keys(linkReferences as object).length > 0) {
    problems.push(`${name}: its bytecode needs linked libraries, which the bench does not link`);
  }
  let iface: Interface;
  try {
    iface = new Interface(abi as InterfaceAbi);
  } catch (error) {
    problems.push(`${name}: unreadable ABI: ${(error as Error).message}`);
    return undefined;
  }
  for (const signature of REQUIRED_FUNCTIONS[name]) {
    const fnName = signature.slice(0, signature.indexOf("("));
    const found = iface.fragments
      .filter((f): f is FunctionFragment => f.type === "function")
      .filter((f) => f.name === fnName)
      .map((f) => f.format("sighash"));
    if (!found.includes(signature)) {
      const seen = found.length > 0 ? ` (the ABI has ${found.join(", ")})` : "";
      problems.push(`${name}: missing function ${signature}${seen}`);
    }
  }
  const constructorTypes = REQUIRED_CONSTRUCTORS[name];
  if (constructorTypes) {
    const actual = `(${iface.deploy.inputs.map((input) => input.format("sighash")).join(",")})`;
    if (actual !== constructorTypes) {
      problems.push(`${name}: constructor${actual}, expected constructor${constructorTypes}`);
    }
  }
  if (name === "ChannelMastercopy") {
    for (const [fnName, index, path, expected] of REQUIRED_FIELDS) {
      const fragment = iface.getFunction(fnName);
      let param: ParamType | undefined = fragment?.inputs[index];
      for (const step of path) {
        param = param?.components?.find((c) => c.name === step);
        if (param?.baseType === "array") param = param.arrayChildren ?? undefined;
      }
      const names = param?.components?.map((c) => c.name) ?? [];
      if (names.join(",") !== expected.join(",")) {
        const where = [fnName, `argument ${index}`, ...path].join(" › ");
        problems.push(
          `${name}: ${where} has fields (${names.join(", ")}), expected (${expected.join(", ")})`,
        );
      }
    }
  }
  return { name, abi: abi as InterfaceAbi, bytecode, iface };
}

function firstInput(iface: Interface, fnName: string): ParamType {
  const input = iface.getFunction(fnName)?.inputs[0];
  if (!input) throw new VectorArtifactError(`ChannelMastercopy: ${fnName} has no inputs`);
  return input;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}
