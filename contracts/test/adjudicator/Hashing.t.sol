// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {IChannelMastercopy} from "../../src/interfaces/IChannelMastercopy.sol";
import {Balance, CoreChannelState, CoreTransferState} from "../../src/interfaces/Types.sol";

/// @notice The channel's hashes against EIP-712 computed here from the type strings alone,
/// word by word (DESIGN §4.3).
contract HashingTest is AdjudicatorBase {
    string internal constant BALANCE_TYPE = "Balance(address[2] to,uint256[2] amount)";
    string internal constant CCS_TYPE =
        "CoreChannelState(address channelAddress,address alice,address bob,address[] assetIds,Balance[] balances,uint256[] processedDepositsA,uint256[] processedDepositsB,uint256[] defundNonces,uint256 timeout,uint256 nonce,bytes32 merkleRoot)";
    string internal constant CTS_TYPE =
        "CoreTransferState(address channelAddress,bytes32 transferId,address transferDefinition,address initiator,address responder,address assetId,Balance balance,uint256 transferTimeout,bytes32 initialStateHash)";
    string internal constant RESOLUTION_TYPE = "TransferResolution(bytes32 transferId,bytes encodedResolver)";
    string internal constant DOMAIN_TYPE =
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

    // ---------------------------------------------------------------- reference encoding

    function _words(bytes32[] memory words) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(words));
    }

    function _addressArray(address[] memory values) internal pure returns (bytes32) {
        bytes32[] memory words = new bytes32[](values.length);
        for (uint256 i; i < values.length; ++i) {
            words[i] = bytes32(uint256(uint160(values[i])));
        }
        return _words(words);
    }

    function _uintArray(uint256[] memory values) internal pure returns (bytes32) {
        bytes32[] memory words = new bytes32[](values.length);
        for (uint256 i; i < values.length; ++i) {
            words[i] = bytes32(values[i]);
        }
        return _words(words);
    }

    function _balance(Balance memory b) internal pure returns (bytes32) {
        bytes32[] memory words = new bytes32[](3);
        words[0] = keccak256(bytes(BALANCE_TYPE));
        words[1] = _addressArray(addrs(b.to[0], b.to[1]));
        words[2] = _uintArray(uints(b.amount[0], b.amount[1]));
        return _words(words);
    }

    function _expectedChannelHash(CoreChannelState memory ccs) internal pure returns (bytes32) {
        bytes32[] memory balances = new bytes32[](ccs.balances.length);
        for (uint256 i; i < balances.length; ++i) {
            balances[i] = _balance(ccs.balances[i]);
        }
        bytes32[] memory w = new bytes32[](12);
        w[0] = keccak256(abi.encodePacked(CCS_TYPE, BALANCE_TYPE));
        w[1] = bytes32(uint256(uint160(ccs.channelAddress)));
        w[2] = bytes32(uint256(uint160(ccs.alice)));
        w[3] = bytes32(uint256(uint160(ccs.bob)));
        w[4] = _addressArray(ccs.assetIds);
        w[5] = _words(balances);
        w[6] = _uintArray(ccs.processedDepositsA);
        w[7] = _uintArray(ccs.processedDepositsB);
        w[8] = _uintArray(ccs.defundNonces);
        w[9] = bytes32(ccs.timeout);
        w[10] = bytes32(ccs.nonce);
        w[11] = ccs.merkleRoot;
        return _words(w);
    }

    function _expectedTransferHash(CoreTransferState memory cts) internal pure returns (bytes32) {
        bytes32[] memory w = new bytes32[](10);
        w[0] = keccak256(abi.encodePacked(CTS_TYPE, BALANCE_TYPE));
        w[1] = bytes32(uint256(uint160(cts.channelAddress)));
        w[2] = cts.transferId;
        w[3] = bytes32(uint256(uint160(cts.transferDefinition)));
        w[4] = bytes32(uint256(uint160(cts.initiator)));
        w[5] = bytes32(uint256(uint160(cts.responder)));
        w[6] = bytes32(uint256(uint160(cts.assetId)));
        w[7] = _balance(cts.balance);
        w[8] = bytes32(cts.transferTimeout);
        w[9] = cts.initialStateHash;
        return _words(w);
    }

    function _digest(address verifyingContract, bytes32 structHash) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(bytes(DOMAIN_TYPE)), keccak256("Connext"), keccak256("2"), block.chainid, verifyingContract
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }

    /// @dev A state over `n` assets with distinct values in every slot.
    function _state(uint256 n) internal view returns (CoreChannelState memory ccs) {
        ccs = singleAssetState(ETH, 0, 0, 42);
        ccs.assetIds = new address[](n);
        ccs.balances = new Balance[](n);
        ccs.processedDepositsA = new uint256[](n);
        ccs.processedDepositsB = new uint256[](n);
        ccs.defundNonces = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            // casting to 'uint160' is safe because i < 4
            // forge-lint: disable-next-line(unsafe-typecast)
            ccs.assetIds[i] = address(uint160(0xA55E7 + i));
            ccs.balances[i] = twoParty(payable(alice), payable(bob), 100 + i, 200 + i);
            ccs.processedDepositsA[i] = 300 + i;
            ccs.processedDepositsB[i] = 400 + i;
            ccs.defundNonces[i] = 1 + i;
        }
        ccs.timeout = 12345;
        ccs.merkleRoot = keccak256("root");
    }

    function _checkState(CoreChannelState memory ccs) internal view {
        bytes32 expected = _expectedChannelHash(ccs);
        assertEq(channel.channelStateHash(ccs), expected, "struct hash");
        assertEq(channel.channelStateDigest(ccs), _digest(address(channel), expected), "digest");
    }

    // ---------------------------------------------------------------- channel state

    function test_channelStateHash_matchesEip712WithZeroAssets() public view {
        _checkState(_state(0));
    }

    function test_channelStateHash_matchesEip712WithOneAsset() public view {
        _checkState(_state(1));
    }

    function test_channelStateHash_matchesEip712WithThreeAssets() public view {
        _checkState(_state(3));
    }

    function test_channelStateHash_everyFieldCounts() public view {
        bytes32 base = channel.channelStateHash(_state(2));
        for (uint256 field; field < 12; ++field) {
            CoreChannelState memory ccs = _state(2);
            if (field == 0) ccs.channelAddress = carol;
            if (field == 1) ccs.alice = carol;
            if (field == 2) ccs.bob = carol;
            if (field == 3) (ccs.assetIds[0], ccs.assetIds[1]) = (ccs.assetIds[1], ccs.assetIds[0]);
            if (field == 4) ccs.balances[1].amount = [ccs.balances[1].amount[1], ccs.balances[1].amount[0]];
            if (field == 5) ccs.balances[0].to[1] = payable(carol);
            if (field == 6) ccs.processedDepositsA[1] += 1;
            if (field == 7) ccs.processedDepositsB[0] += 1;
            if (field == 8) ccs.defundNonces[1] += 1;
            if (field == 9) ccs.timeout += 1;
            if (field == 10) ccs.nonce += 1;
            if (field == 11) ccs.merkleRoot = bytes32(0);
            assertTrue(channel.channelStateHash(ccs) != base);
        }
    }

    function test_channelStateDigest_differsPerChannelAndChain() public {
        CoreChannelState memory ccs = _state(1);
        IChannelMastercopy other = IChannelMastercopy(payable(factory.createChannel(alice, carol)));
        bytes32 here = channel.channelStateDigest(ccs);
        assertEq(other.channelStateHash(ccs), channel.channelStateHash(ccs));
        assertEq(other.channelStateDigest(ccs), _digest(address(other), _expectedChannelHash(ccs)));
        assertTrue(other.channelStateDigest(ccs) != here);
        vm.chainId(block.chainid + 1);
        assertEq(channel.channelStateDigest(ccs), _digest(address(channel), _expectedChannelHash(ccs)));
        assertTrue(channel.channelStateDigest(ccs) != here);
    }

    function test_eip712Domain_isConnextV2OfTheChannel() public view {
        (, string memory name, string memory version, uint256 chainId, address verifying,,) =
            IERC5267(address(channel)).eip712Domain();
        assertEq(name, "Connext");
        assertEq(version, "2");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(channel));
    }

    // ---------------------------------------------------------------- transfers

    function test_transferStateHash_matchesEip712() public view {
        (CoreTransferState memory cts,) = hashlockTransfer(keccak256("t"), alice, bob, address(token), 7, "p", 99);
        cts.balance.amount[1] = 3;
        cts.transferTimeout = 555;
        assertEq(channel.transferStateHash(cts), _expectedTransferHash(cts));
    }

    function test_transferResolutionDigest_matchesEip712() public view {
        bytes memory resolver = hashlockResolver(keccak256("pre"));
        bytes32 structHash =
            keccak256(abi.encode(keccak256(bytes(RESOLUTION_TYPE)), keccak256("id"), keccak256(resolver)));
        assertEq(channel.transferResolutionDigest(keccak256("id"), resolver), _digest(address(channel), structHash));
        structHash = keccak256(abi.encode(keccak256(bytes(RESOLUTION_TYPE)), keccak256("id"), keccak256("")));
        assertEq(channel.transferResolutionDigest(keccak256("id"), ""), _digest(address(channel), structHash));
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_channelStateHash_matchesEip712(
        address[3] memory assets,
        uint256[6] memory values,
        uint8 n,
        uint256 nonce,
        bytes32 root
    ) public view {
        CoreChannelState memory ccs = _state(bound(n, 0, 3));
        for (uint256 i; i < ccs.assetIds.length; ++i) {
            ccs.assetIds[i] = assets[i];
            ccs.balances[i].amount = [values[i], values[i + 3]];
            ccs.processedDepositsA[i] = values[5 - i];
        }
        ccs.nonce = nonce;
        ccs.merkleRoot = root;
        _checkState(ccs);
    }

    function testFuzz_transferStateHash_matchesEip712(bytes32 id, address definition, uint256 a, uint256 b)
        public
        view
    {
        (CoreTransferState memory cts,) = hashlockTransfer(id, bob, alice, ETH, a, id, 0);
        cts.transferDefinition = definition;
        cts.balance.amount[1] = b;
        assertEq(channel.transferStateHash(cts), _expectedTransferHash(cts));
    }
}
